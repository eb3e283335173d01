import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// Errors and headers every endpoint shares.
@Suite struct ProtocolBasicsTests {
    @Test func versionsListsServedVersions() async throws {
        try await TestServer.run { client in
            let reply = try await client.request(.get, "/_matrix/client/versions")
            #expect(reply.status == 200)
            let versions = reply["versions"]?.arrayValue?.compactMap(\.stringValue) ?? []
            // Only what is served: v1.2 onwards need restricted joins, relations, threads, push
            // rules or authenticated media, none of which Keyport serves.
            #expect(
                versions == ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1", "v1.1"])
            // Nothing unimplemented is advertised (MSC3983 was, with no application services).
            #expect(
                reply["unstable_features"] == ["fi.mau.msc2659.stable": true, "org.matrix.e2e_cross_signing": true])
        }
    }

    @Test func unknownEndpointIs404AndWrongMethodIs405() async throws {
        try await TestServer.run { client in
            let unknown = try await client.client(.get, "/no/such/endpoint")
            #expect(unknown.status == 404)
            #expect(unknown.errcode == "M_UNRECOGNIZED")
            let wrongMethod = try await client.client(.get, "/keys/upload")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.errcode == "M_UNRECOGNIZED")
        }
    }

    @Test func corsHeadersOnEveryResponseAndPreflight() async throws {
        try await TestServer.run { client in
            let preflight = try await client.client(.options, "/keys/upload")
            #expect(preflight.status == 200)
            #expect(preflight.headers[.accessControlAllowOrigin] == "*")
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            let error = try await client.client(.get, "/account/whoami")
            #expect(error.headers[.accessControlAllowOrigin] == "*")
        }
    }

    @Test func missingAndUnknownTokens() async throws {
        try await TestServer.run { client in
            let missing = try await client.client(.get, "/account/whoami")
            #expect(missing.status == 401)
            #expect(missing.errcode == "M_MISSING_TOKEN")
            let unknown = try await client.client(.get, "/account/whoami", token: "kp_nonsense")
            #expect(unknown.status == 401)
            #expect(unknown.errcode == "M_UNKNOWN_TOKEN")
        }
    }

    @Test func badBodiesGetMatrixErrors() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let notJSON = try await client.client(.post, "/keys/query", token: alice.token, raw: "{not json")
            #expect(notJSON.status == 400)
            #expect(notJSON.errcode == "M_NOT_JSON")
            let notObject = try await client.client(.post, "/keys/query", token: alice.token, raw: "[1,2]")
            #expect(notObject.status == 400)
            #expect(notObject.errcode == "M_BAD_JSON")
            let duplicate = try await client.client(
                .post, "/keys/query", token: alice.token, raw: #"{"device_keys":{},"device_keys":{}}"#)
            #expect(duplicate.errcode == "M_BAD_JSON")
            let huge = try await client.client(
                .post, "/keys/query", token: alice.token, raw: #"{"a":9007199254740992}"#)
            #expect(huge.errcode == "M_BAD_JSON")
            let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
            let tooDeep = try await client.client(.post, "/keys/query", token: alice.token, raw: #"{"a":\#(deep)}"#)
            #expect(tooDeep.status == 400)
            #expect(tooDeep.errcode == "M_BAD_JSON")
            let wrongShape = try await client.client(.post, "/keys/query", token: alice.token, body: ["device_keys": 5])
            #expect(wrongShape.status == 400)
            #expect(wrongShape.errcode == "M_BAD_JSON")
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.maxRequestSize = 4096
        try await TestServer.run(config: config) { client in
            let alice = try await client.register("alice")
            let big = #"{"device_keys":{},"padding":""# + String(repeating: "x", count: 10_000) + #""}"#
            let reply = try await client.client(.post, "/keys/query", token: alice.token, raw: big)
            #expect(reply.status == 413)
            #expect(reply.errcode == "M_TOO_LARGE")
        }
    }

    @Test func loginIsRateLimited() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.loginRateLimit = .init(perSecond: 0.01, burst: 2)
        try await TestServer.run(config: config) { client in
            let body: JSONValue = ["type": "m.login.password", "user": "nobody", "password": "x"]
            var statuses: [Int] = []
            var limited: MatrixClient.Reply?
            for _ in 0..<4 {
                let reply = try await client.client(.post, "/login", body: body)
                statuses.append(reply.status)
                if reply.status == 429 { limited = reply }
            }
            #expect(statuses == [403, 403, 429, 429])
            #expect(limited?.errcode == "M_LIMIT_EXCEEDED")
            #expect((limited?["retry_after_ms"]?.intValue ?? 0) > 0)
        }
    }
}
