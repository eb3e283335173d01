public import MatrixModel

/// The redaction algorithm: what survives of an event once it is redacted, per room version
/// (https://spec.matrix.org/latest/rooms/v11/#redactions and v9's, which v10 uses). Reference hashes
/// and signatures cover the redacted form, so these lists must match every other server's exactly.
///
/// `unsigned` does not survive: it is not in either list (Synapse keeps a local `unsigned` holding
/// `age_ts` and `replaces_state`, outside what hashes and signatures cover).
public enum Redaction {
    /// The event with every key the room version does not keep removed.
    public static func redact(_ event: JSONObject, rules: RoomVersion.RedactionRules) -> JSONObject {
        let topLevel = rules == .v9 ? topLevelV9 : topLevelV11
        var redacted = event.filter { topLevel.contains($0.key) }
        let type = event["type"]?.stringValue
        let content = event["content"]?.objectValue ?? [:]
        redacted["content"] = .object(keptContent(content, type: type, rules: rules))
        return redacted
    }

    /// The content keys an event of `type` keeps.
    static func keptContent(_ content: JSONObject, type: String?, rules: RoomVersion.RedactionRules) -> JSONObject {
        switch (type, rules) {
        case (EventType.create, .v11):
            return content
        case (EventType.member, .v11):
            var kept = content.filter { ["membership", "join_authorised_via_users_server"].contains($0.key) }
            // An object `third_party_invite` survives, holding only `signed` if it had one. The spec
            // says only that `signed` is kept; Synapse keeps the emptied object too, and the
            // reference hash (so the event ID) depends on it.
            if case .object(let invite)? = content["third_party_invite"] {
                kept["third_party_invite"] = .object(invite.filter { $0.key == "signed" })
            }
            return kept
        default:
            let keys = keptContentKeys(type: type, rules: rules)
            return content.filter { keys.contains($0.key) }
        }
    }

    static func keptContentKeys(type: String?, rules: RoomVersion.RedactionRules) -> Set<String> {
        switch type {
        case EventType.member: ["membership", "join_authorised_via_users_server"]
        case EventType.create: ["creator"]
        case EventType.joinRules: ["join_rule", "allow"]
        case EventType.powerLevels:
            rules == .v9
                ? ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"]
                : [
                    "ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users",
                    "users_default",
                ]
        case EventType.historyVisibility: ["history_visibility"]
        case EventType.redaction: rules == .v9 ? [] : ["redacts"]
        default: []
        }
    }

    static let topLevelV11: Set<String> = [
        "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
        "prev_events", "auth_events", "origin_server_ts",
    ]
    static let topLevelV9: Set<String> = topLevelV11.union(["prev_state", "origin", "membership"])
}
