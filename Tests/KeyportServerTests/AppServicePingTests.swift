import Foundation
import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Synchronization
import Testing

/// `POST /_matrix/client/v1/appservice/{appserviceId}/ping`: a service asks the server to ping it.
@Suite struct AppServicePingTests {
    static func service(_ id: String, url: String?, token: String) throws -> ApplicationService {
        try .exclusive(id, users: "@\(id)_.*", url: url, asToken: token)
    }

    static func ping(_ client: MatrixClient, _ id: String, token: String?, body: JSONValue = [:]) async throws
        -> MatrixClient.Reply
    {
        try await client.request(.post, "/_matrix/client/v1/appservice/\(id)/ping", token: token, body: body)
    }

    @Test func theServerPingsTheServiceAndSaysHowLongItTook() async throws {
        let stub = AppServiceKeyTests.StubService { request in
            request.path == "/_matrix/app/v1/ping" ? (200, [:]) : (404, ["errcode": "M_UNRECOGNIZED"])
        }
        try await FakePeer.run(stub.handler) { peer in
            var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
            config.applicationServices = [
                try Self.service("bridge", url: "http://\(peer)", token: "as-bridge"),
                try Self.service("other", url: "http://\(peer)", token: "as-other"),
            ]
            try await TestServer.run(config: config) { client in
                let reply = try await Self.ping(client, "bridge", token: "as-bridge", body: ["transaction_id": "t1"])
                #expect(reply.status == 200, "\(reply.body)")
                #expect((reply["duration_ms"]?.intValue ?? -1) >= 0)
                #expect(stub.received.map(\.path) == ["/_matrix/app/v1/ping"])
                #expect(stub.received.first?.body == ["transaction_id": "t1"])
                #expect(stub.received.first?.authorization == "Bearer hs-bridge", "the server's token for the service")

                // Only the service itself may ask for its ping.
                let user = try await client.register("alice")
                let cases: [(String?, Int, String)] = [
                    (nil, 401, "M_MISSING_TOKEN"), ("wrong", 401, "M_UNKNOWN_TOKEN"),
                    (user.token, 401, "M_UNKNOWN_TOKEN"), ("as-other", 403, "M_FORBIDDEN"),
                ]
                for (token, status, errcode) in cases {
                    let refused = try await Self.ping(client, "bridge", token: token)
                    #expect(refused.status == status, "\(token ?? "no token"): \(refused.body)")
                    #expect(refused.errcode == errcode, "\(token ?? "no token")")
                }
                #expect(stub.received.count == 1, "no refused request reached the service")
            }
        }
    }

    @Test func aFailedPingSaysWhy() async throws {
        let stub = AppServiceKeyTests.StubService { _ in (500, ["errcode": "M_UNKNOWN", "error": "oops"]) }
        try await FakePeer.run(stub.handler) { peer in
            var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
            config.applicationServices = [
                try Self.service("failing", url: "http://\(peer)", token: "as-failing"),
                try Self.service("silent", url: nil, token: "as-silent"),
                // Nothing listens on port 9 of loopback (discard) in the test environment.
                try Self.service("gone", url: "http://127.0.0.1:9", token: "as-gone"),
            ]
            try await TestServer.run(config: config) { client in
                let failing = try await Self.ping(client, "failing", token: "as-failing")
                #expect(failing.status == 502)
                #expect(failing.errcode == "M_BAD_STATUS")
                #expect(failing["status"] == 500)
                #expect(failing["body"]?.stringValue?.contains("oops") == true, "\(failing.body)")

                let silent = try await Self.ping(client, "silent", token: "as-silent")
                #expect(silent.status == 400)
                #expect(silent.errcode == "M_URL_NOT_SET")

                let gone = try await Self.ping(client, "gone", token: "as-gone")
                #expect(gone.status == 502, "\(gone.body)")
                #expect(gone.errcode == "M_CONNECTION_FAILED")
            }
        }
    }
}
