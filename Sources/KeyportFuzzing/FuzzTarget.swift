/// The parsers of untrusted or operator-written input that are fuzzed, each with the properties
/// it must keep for every input.
///
/// A target's raw value names its corpus folder (`Tests/FuzzCorpora/<name>`) and its libFuzzer
/// executable (`Fuzz/Sources/fuzz-<name>`). Both libFuzzer and `swift test` call ``check(_:)``,
/// so an input that once broke a target is replayed by the ordinary test run.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The strict and lenient JSON parsers and the canonical writer: round trips and idempotence.
    case json
    /// The `Authorization: X-Matrix` header parser and writer.
    case xMatrix = "x-matrix"
    /// The DNS response parser behind SRV lookups (it reads UDP packets from the network).
    case dnsMessage = "dns-message"
    /// The `.well-known/matrix/server` body and its cache headers.
    case wellKnown = "well-known"
    /// Server names, `host:port` splitting, IP literals, user IDs and key IDs.
    case serverName = "server-name"
    /// The YAML configuration reader: errors are reported, never a crash.
    case config

    /// Runs the target on one input. Returns whether the parser accepted it (so tests can see that
    /// a corpus reaches past the first rejection); throws when a property does not hold.
    @discardableResult
    public func check(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        switch self {
        case .json: try JSONRoundTripCheck.check(input)
        case .xMatrix: try XMatrixHeaderCheck.check(input)
        case .dnsMessage: try DNSMessageCheck.check(input)
        case .wellKnown: try WellKnownCheck.check(input)
        case .serverName: try ServerNameCheck.check(input)
        case .config: try ConfigCheck.check(input)
        }
    }
}
