import MatrixModel
import MatrixRooms
import Testing

/// The converted public auth-rule tables (Fixtures/auth: gomatrixserverlib's eventauth_test.go,
/// tuwunel's soft-fail cases; each file's `source` says where from).
@Suite("Auth rules: public fixtures")
struct AuthFixtureTests {
    @Test("Every case gets the upstream verdict", arguments: RoomFixtures.casesOrFailure(in: "auth"))
    func verdict(_ fixture: RoomFixtureCase) throws {
        let version = try fixture.version()
        let event = try fixture.pdu(.object(try fixture.object("event")), version: version)
        let authEvents = try fixture.array("auth_events").map { try fixture.pdu($0, version: version) }
        guard case .bool(let expected)? = fixture.fields["allowed"] else {
            Issue.record("\(fixture.id): no 'allowed'")
            return
        }
        let decision: AuthDecision
        if fixture.fields["event_auth_events_outside_state"] == .bool(true) {
            // Judged against a state (the current state of a soft-fail check), not the events it names.
            let state = Dictionary(authEvents.compactMap { pdu in pdu.stateMapKey.map { ($0, pdu) } }) { first, _ in
                first
            }
            decision = PDUChecks.softFailCheck(event, currentState: state)
        } else {
            decision = PDUChecks.againstAuthEvents(
                event, authEvents: Dictionary(authEvents.map { ($0.eventID, $0) }) { first, _ in first })
        }
        #expect(
            decision.isAllowed == expected,
            "\(fixture.id): \(decision); upstream says \(fixture.fields["reason"] ?? "-")")
    }
}

/// Synapse's PruneEventTestCase, converted (Fixtures/redaction).
@Suite("Redaction: public fixtures")
struct RedactionFixtureTests {
    @Test("Every case keeps exactly the expected keys", arguments: RoomFixtures.casesOrFailure(in: "redaction"))
    func redaction(_ fixture: RoomFixtureCase) throws {
        let version = try fixture.version()
        let redacted = Redaction.redact(try fixture.object("event"), rules: version.redactionRules)
        #expect(redacted == (try fixture.object("redacted")))
    }
}
