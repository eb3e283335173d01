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

    @Test func noInputMakesA500() async throws {
        try await TestServer.run { client in
            let user = try await client.register("u", deviceID: "DEV")
            for (method, path) in Self.endpoints {
                for body in Self.bodies {
                    let reply = try await client.client(method, path, token: user.token, raw: body)
                    #expect(reply.status < 500, "\(method) \(path) \(body) → \(reply.status) \(reply.body)")
                    if reply.status >= 400 {
                        #expect(reply.errcode != nil, "\(method) \(path) \(body) → no errcode")
                    }
                }
            }
            // The user and server are still fine afterwards.
            let whoami = try await client.client(.get, "/account/whoami", token: user.token)
            #expect(whoami.status == 200 || whoami.status == 401)
        }
    }
}
