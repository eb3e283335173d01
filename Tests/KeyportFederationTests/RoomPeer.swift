import KeyportServices
import KeyportTestSupport
import Logging
import MatrixModel
import MatrixSigning
import Testing

@testable import KeyportFederation

/// A resident server for ``RoomFederationClient`` tests: a ``RecordingHTTPServer`` on loopback
/// that records what the client sent and answers with fixed JSON, and a client for `origin.test`
/// (a fixed-seed key) that speaks plain HTTP to it.
enum RoomPeer {
    static let room = "!room:remote.test"
    static let alice = "@alice:origin.test"

    /// `origin.test` with a key from a fixed seed.
    static func identity() throws -> ServerIdentity {
        ServerIdentity(
            serverName: ServerName("origin.test")!,
            signingKey: try SigningKey(version: "room", seed: [UInt8](repeating: 7, count: 32)))
    }

    /// Runs `body` with a room client, the peer's server name and the peer, which answers every
    /// request with `answer`.
    static func run(
        answer: @escaping @Sendable (RecordedHTTPRequest) -> StaticHTTPServer.Response,
        _ body: (RoomFederationClient, String, RecordingHTTPServer) async throws -> Void
    ) async throws {
        try await withRecordingHTTPServer(answer: answer) { server in
            let settings = FederationClientSettings(blacklist: try IPRangeSet([]), whitelist: try IPRangeSet([]))
            let client = FederationClient(
                identity: try identity(),
                resolver: ServerResolver(
                    srv: FederationClientLimitsTests.NoSRV(), wellKnown: FederationClientLimitsTests.NoWellKnown()),
                connections: FederationConnections(settings: settings, scheme: "http"), logger: Logger(label: "test"))
            try await withOwned(client, release: { await $0.shutdown() }) { client in
                try await body(RoomFederationClient(client: client), "127.0.0.1:\(server.port)", server)
            }
        }
    }

    /// Runs `body` against a peer answering every request with `status` and `json`.
    static func run(
        answering json: String, status: Int = 200,
        _ body: (RoomFederationClient, String, RecordingHTTPServer) async throws -> Void
    ) async throws {
        try await run(answer: { _ in .init(status: status, body: json) }, body)
    }

    /// The one request the peer received, checked to be signed by us over the target as it
    /// arrived (so the percent-encoding the client signed is the one sent).
    static func onlyRequest(_ server: RecordingHTTPServer) throws -> RecordedHTTPRequest {
        let requests = server.requests
        try #require(requests.count == 1, "exactly one request: \(requests.map(\.target))")
        let request = requests[0]
        let header = try #require(request.header("Authorization"))
        let authorization = try #require(XMatrixAuthorization(header: header))
        // Not `isEmpty ? nil : …`: JSONValue takes that `nil` as its `null`, signed as content.
        var content: JSONValue?
        if !request.body.isEmpty { content = try JSONParser().parse(request.body) }
        #expect(
            RequestSignature.verify(
                authorization, method: request.method, uri: request.target, content: content,
                publicKeyBase64: try identity().signingKey.publicKeyBase64),
            "the X-Matrix signature covers \(request.method) \(request.target)")
        return request
    }

    /// The JSON object a request carried.
    static func body(_ request: RecordedHTTPRequest) throws -> JSONObject {
        try #require(try JSONParser().parse(request.body).objectValue)
    }

    /// A PDU as a server may send it: members whose names differ only in Unicode normalisation,
    /// `unsigned`, hashes and signatures. It must come back exactly as parsed from the wire.
    static func pdu(_ n: Int, type: String = "m.room.message") -> String {
        #"{"type":"\#(type)","room_id":"!room:remote.test","sender":"@bob:remote.test","#
            + #""content":{"body":"n\#(n)","\u00e9":1,"e\u0301":2},"depth":\#(n),"prev_events":["$p\#(n)"],"#
            + #""auth_events":["$create"],"origin_server_ts":1700000000000,"hashes":{"sha256":"abc"},"#
            + #""signatures":{"remote.test":{"ed25519:1":"sig"}},"unsigned":{"age":5}}"#
    }

    /// The object ``pdu(_:type:)`` parses to.
    static func parsedPDU(_ n: Int, type: String = "m.room.message") throws -> JSONObject {
        try #require(try JSONParser().parse(pdu(n, type: type)).objectValue)
    }

    /// The objects ``pdus(_:)`` parse to.
    static func parsedPDUs(_ range: Range<Int>) throws -> [JSONObject] {
        try range.map { try parsedPDU($0) }
    }

    /// `[pdu(0), pdu(1), …]` as JSON text.
    static func pdus(_ range: Range<Int>) -> String {
        "[" + range.map { pdu($0) }.joined(separator: ",") + "]"
    }

    /// Runs `call` and returns the federation error it threw; records an issue when it returned.
    static func failure<T>(
        _ call: () async throws(FederationError) -> T, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> FederationError? {
        do throws(FederationError) {
            let value = try await call()
            Issue.record("expected a failure, got \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// Expects `call` to fail with an invalid answer whose reason mentions every part of `mentions`.
    static func expectInvalid<T>(
        _ mentions: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ call: () async throws(FederationError) -> T
    ) async {
        guard let error = await failure(call, sourceLocation: sourceLocation) else { return }
        guard case .invalidResponse(let reason) = error else {
            Issue.record("expected an invalid answer, got \(error)", sourceLocation: sourceLocation)
            return
        }
        for mention in mentions where !reason.contains(mention) {
            Issue.record("'\(reason)' does not mention \(mention)", sourceLocation: sourceLocation)
        }
    }
}
