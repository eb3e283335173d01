import Hummingbird
import MatrixModel
import Testing

/// Guarantee 5: whatever arrives, the answer is a Matrix error or a success — never a 500.
@Suite struct RobustnessTests {
    static let endpoints: [(HTTPRequest.Method, String)] = [
        (.post, "/register"), (.post, "/login"), (.post, "/logout"), (.put, "/devices/DEV"),
        (.delete, "/devices/DEV"), (.post, "/delete_devices"), (.post, "/keys/upload"), (.post, "/keys/query"),
        (.post, "/keys/claim"), (.post, "/keys/device_signing/upload"), (.post, "/keys/signatures/upload"),
    ]

    static let bodies: [String] = [
        "{}", "[]", "null", "\"text\"", "42", "{\"device_keys\":null}", "{\"device_keys\":[]}",
        "{\"one_time_keys\":{\"@a:b\":[]}}", "{\"one_time_keys\":{\"@a:test.local\":{\"D\":{}}}}",
        "{\"device_keys\":{\"user_id\":1,\"device_id\":[],\"algorithms\":{},\"keys\":\"x\",\"signatures\":5}}",
        "{\"one_time_keys\":{\"nocolon\":\"k\"}}", "{\"one_time_keys\":{\"signed_curve25519:A\":5}}",
        "{\"fallback_keys\":{\"a:1\":\"x\",\"a:2\":\"y\"}}", "{\"master_key\":{\"user_id\":\"@x:y\"}}",
        "{\"master_key\":{\"user_id\":\"@u:test.local\",\"usage\":[\"master\"],\"keys\":{\"ed25519:x\":\"x\"}}}",
        "{\"@u:test.local\":{\"k\":\"v\"}}", "{\"@u:test.local\":5}", "{\"devices\":[1,2]}", "{\"auth\":[]}",
        "{\"auth\":{\"type\":\"m.login.password\",\"identifier\":5}}", "{\"display_name\":[1]}",
        "{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"@:\"},\"password\":\"x\"}",
        "{\"username\":\"\\u0000\",\"password\":\"x\",\"auth\":{\"type\":\"m.login.dummy\"}}",
        "{\"a\":1.5e400}", "{\"a\":\"\\ud800\"}", "\u{FEFF}{}", "{\"device_keys\":{\"@u:test.local\":[1]}}",
    ]

    /// Errors that stop a request before its body is read and its handler runs: authentication,
    /// routing and rate limits. A probe answered with one of them fuzzed nothing.
    static let stoppedBeforeTheHandler: Set<String> = [
        "M_MISSING_TOKEN", "M_UNKNOWN_TOKEN", "M_UNRECOGNIZED", "M_LIMIT_EXCEEDED",
    ]

    /// Whether a reply shows the request got past authentication to its body and handler: a
    /// success, or an error other than those above. A 401 counts only as the handler's
    /// user-interactive auth challenge, which lists `flows`.
    static func reachedTheHandler(_ reply: MatrixClient.Reply) -> Bool {
        if let errcode = reply.errcode, stoppedBeforeTheHandler.contains(errcode) { return false }
        return reply.status != 401 || reply["flows"] != nil
    }

    @Test func noInputMakesA500() async throws {
        try await TestServer.run { client in
            let user = try await client.register("u", deviceID: "DEV")
            for (method, path) in Self.endpoints {
                for body in Self.bodies {
                    // A token of its own for every probe: a probe may end its session (`/logout`
                    // does), and a later probe with that token would stop at authentication.
                    let session = try await client.login(user)
                    let probe = "\(method) \(path) \(body)"
                    let reply = try await client.client(method, path, token: session.token, raw: body)
                    #expect(reply.status < 500, "\(probe) → \(reply.status) \(reply.body)")
                    if reply.status >= 400 {
                        #expect(reply.errcode != nil, "\(probe) → no errcode")
                    }
                    #expect(
                        Self.reachedTheHandler(reply),
                        "\(probe) never reached its handler: \(reply.status) \(reply.body)")
                }
            }
            // The user and server are still fine afterwards.
            let whoami = try await client.client(.get, "/account/whoami", token: user.token)
            #expect(whoami.status == 200, "\(whoami.body)")
        }
    }
}
