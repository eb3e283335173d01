import Crypto
import Foundation
import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// Registration, login, logout and whoami over HTTP.
@Suite struct AccountTests {
    @Test func registrationNeedsTheDummyStage() async throws {
        try await TestServer.run { client in
            let first = try await client.client(.post, "/register", body: ["username": "alice", "password": "pw"])
            #expect(first.status == 401)
            #expect(first["flows"] == [["stages": ["m.login.dummy"]]])
            #expect(first["params"] == [:])
            let session = try #require(first["session"]?.stringValue)
            let done = try await client.client(
                .post, "/register",
                body: [
                    "username": "alice", "password": "pw",
                    "auth": ["type": "m.login.dummy", "session": .string(session)],
                ])
            #expect(done.status == 200)
            #expect(done["user_id"] == "@alice:test.local")
            #expect(done["access_token"]?.stringValue?.isEmpty == false)
            #expect(done["device_id"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func usernamesAreValidatedAndUnique() async throws {
        try await TestServer.run { client in
            _ = try await client.register("bob")
            let taken = try await client.client(
                .post, "/register", body: ["username": "BOB", "password": "pw", "auth": ["type": "m.login.dummy"]])
            #expect(taken.status == 400)
            #expect(taken.errcode == "M_USER_IN_USE")
            let invalid = try await client.client(
                .post, "/register",
                body: ["username": "bad name!", "password": "pw", "auth": ["type": "m.login.dummy"]])
            #expect(invalid.status == 400)
            #expect(invalid.errcode == "M_INVALID_USERNAME")
            let long = String(repeating: "a", count: 260)
            let tooLong = try await client.client(
                .post, "/register",
                body: ["username": .string(long), "password": "pw", "auth": ["type": "m.login.dummy"]])
            #expect(tooLong.errcode == "M_INVALID_USERNAME")
            let available = try await client.client(.get, "/register/available?username=carol")
            #expect(available.status == 200)
            #expect(available["available"] == true)
            let unavailable = try await client.client(.get, "/register/available?username=bob")
            #expect(unavailable.errcode == "M_USER_IN_USE")
        }
    }

    @Test func registrationCanBeDisabled() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.enableRegistration = false
        try await TestServer.run(config: config) { client in
            let reply = try await client.client(
                .post, "/register", body: ["username": "alice", "password": "pw", "auth": ["type": "m.login.dummy"]])
            #expect(reply.status == 403)
            #expect(reply.errcode == "M_FORBIDDEN")
        }
    }

    @Test func sharedSecretRegistrationMatchesSynapse() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.enableRegistration = false
        config.registrationSharedSecret = "s3cret"
        try await TestServer.run(config: config) { client in
            func mac(_ nonce: String, _ user: String, _ password: String, admin: Bool) -> String {
                let message = "\(nonce)\u{0}\(user)\u{0}\(password)\u{0}\(admin ? "admin" : "notadmin")"
                let code = HMAC<Insecure.SHA1>.authenticationCode(
                    for: Array(message.utf8), using: SymmetricKey(data: Array("s3cret".utf8)))
                return code.map { String(format: "%02x", $0) }.joined()
            }
            let nonce = try #require(
                try await client.request(.get, "/_synapse/admin/v1/register")["nonce"]?.stringValue)
            let wrong = try await client.request(
                .post, "/_synapse/admin/v1/register",
                body: [
                    "nonce": .string(nonce), "username": "admin1", "password": "pw", "admin": true,
                    "mac": .string(mac(nonce, "admin1", "other", admin: true)),
                ])
            #expect(wrong.status == 403)
            let nonce2 = try #require(
                try await client.request(.get, "/_synapse/admin/v1/register")["nonce"]?.stringValue)
            let body: JSONValue = [
                "nonce": .string(nonce2), "username": "admin1", "password": "pw", "admin": true,
                "mac": .string(mac(nonce2, "admin1", "pw", admin: true)),
            ]
            let good = try await client.request(.post, "/_synapse/admin/v1/register", body: body)
            #expect(good.status == 200)
            #expect(good["user_id"] == "@admin1:test.local")
            let token = try #require(good["access_token"]?.stringValue)
            let whoami = try await client.client(.get, "/account/whoami", token: token)
            #expect(whoami["user_id"] == "@admin1:test.local")
            let reused = try await client.request(.post, "/_synapse/admin/v1/register", body: body)
            #expect(reused.status == 400)
        }
    }

    @Test func loginLogoutAndWhoami() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let flows = try await client.client(.get, "/login")
            #expect(flows["flows"] == [["type": "m.login.password"]])
            let wrong = try await client.client(
                .post, "/login", body: ["type": "m.login.password", "user": "alice", "password": "wrong"])
            #expect(wrong.status == 403)
            #expect(wrong.errcode == "M_FORBIDDEN")
            let second = try await client.login(alice, deviceID: "LAPTOP", displayName: "Laptop")
            #expect(second.deviceID == "LAPTOP")
            let whoami = try await client.client(.get, "/account/whoami", token: second.token)
            #expect(whoami["user_id"] == .string(alice.userID))
            #expect(whoami["device_id"] == "LAPTOP")
            let device = try await client.client(.get, "/devices/LAPTOP", token: alice.token)
            #expect(device["display_name"] == "Laptop")
            // Logging in again with the same device_id re-uses the device.
            let again = try await client.login(alice, deviceID: "LAPTOP")
            let devices = try await client.client(.get, "/devices", token: alice.token)
            #expect(devices["devices"]?.arrayValue?.count == 2)
            #expect(try await client.client(.post, "/logout", token: again.token).status == 200)
            #expect(try await client.client(.get, "/account/whoami", token: again.token).errcode == "M_UNKNOWN_TOKEN")
            // Logging out deletes the device, so the other token of that device stops working too.
            #expect(try await client.client(.get, "/account/whoami", token: second.token).status == 401)
            #expect(try await client.client(.get, "/account/whoami", token: alice.token).status == 200)
        }
    }

    @Test func logoutAllEndsEverySession() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let other = try await client.login(alice)
            #expect(try await client.client(.post, "/logout/all", token: other.token).status == 200)
            #expect(try await client.client(.get, "/account/whoami", token: alice.token).status == 401)
            #expect(try await client.client(.get, "/account/whoami", token: other.token).status == 401)
            let fresh = try await client.login(alice)
            let devices = try await client.client(.get, "/devices", token: fresh.token)
            #expect(devices["devices"]?.arrayValue?.count == 1)
        }
    }

    @Test func usernameLoginIsCaseInsensitiveAndLegacyUserFieldWorks() async throws {
        try await TestServer.run { client in
            _ = try await client.register("dave", password: "pw-dave")
            let reply = try await client.client(
                .post, "/login",
                body: [
                    "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "DAVE"],
                    "password": "pw-dave",
                ])
            #expect(reply.status == 200)
            #expect(reply["user_id"] == "@dave:test.local")
            let legacy = try await client.client(
                .post, "/login", body: ["type": "m.login.password", "user": "dave", "password": "pw-dave"])
            #expect(legacy.status == 200)
            let unknownType = try await client.client(.post, "/login", body: ["type": "m.login.token", "token": "x"])
            #expect(unknownType.status == 400)
        }
    }
}
