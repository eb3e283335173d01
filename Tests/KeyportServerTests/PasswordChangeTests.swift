import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// `POST /account/password` over HTTP: the current password as user-interactive auth, the new one
/// checked as at registration, and the user's other devices and tokens logged out unless asked not.
@Suite struct PasswordChangeTests {
    static let newPassword = "a-brand-new-password"

    /// `POST /account/password` from `user`'s device with `body`.
    static func change(_ client: MatrixClient, _ user: TestUser, _ body: JSONValue) async throws -> MatrixClient.Reply {
        try await client.client(.post, "/account/password", token: user.token, body: body)
    }

    /// The status of a login of `user` with `password`.
    static func login(_ client: MatrixClient, _ user: TestUser, password: String) async throws -> MatrixClient.Reply {
        try await client.client(
            .post, "/login",
            body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(user.userID)],
                "password": .string(password),
            ])
    }

    /// Requires that the old password still logs in and the new one does not.
    static func expectUnchanged(_ client: MatrixClient, _ user: TestUser) async throws {
        #expect(try await login(client, user, password: user.password).status == 200, "old password still works")
        #expect(try await login(client, user, password: newPassword).status == 403, "new password not set")
    }

    @Test func withoutAuthTheClientIsChallenged() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let reply = try await Self.change(client, alice, ["new_password": .string(Self.newPassword)])
            #expect(reply.status == 401)
            #expect(reply["flows"] == [["stages": ["m.login.password"]]])
            #expect(reply["session"]?.stringValue?.isEmpty == false)
            #expect(reply["params"] != nil)
            try await Self.expectUnchanged(client, alice)
            let anonymous = try await client.client(
                .post, "/account/password", body: ["new_password": .string(Self.newPassword)])
            #expect(anonymous.status == 401)
            #expect(anonymous.errcode == "M_MISSING_TOKEN", "no email flow: a token is required")
        }
    }

    @Test func aWrongPasswordIsRefused() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            var wrongAuth = alice.passwordAuth
            wrongAuth["password"] = "not-the-password"
            let wrong = try await Self.change(
                client, alice, ["new_password": .string(Self.newPassword), "auth": wrongAuth])
            #expect(wrong.status == 401)
            #expect(wrong.errcode == "M_FORBIDDEN")
            #expect(wrong["flows"] != nil)
            let otherUser = try await Self.change(
                client, alice, ["new_password": .string(Self.newPassword), "auth": bob.passwordAuth])
            #expect(otherUser.status == 403)
            #expect(otherUser.errcode == "M_FORBIDDEN")
            try await Self.expectUnchanged(client, alice)
            try await Self.expectUnchanged(client, bob)
        }
    }

    @Test func wrongPasswordsAreThrottledAsAtLogin() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.failedLoginRateLimit = RateLimit(perSecond: 0.001, burst: 2)
        try await TestServer.run(config: config) { client in
            let alice = try await client.register("alice")
            var wrongAuth = alice.passwordAuth
            wrongAuth["password"] = "not-the-password"
            for _ in 0..<2 {
                let wrong = try await Self.change(
                    client, alice, ["new_password": .string(Self.newPassword), "auth": wrongAuth])
                #expect(wrong.errcode == "M_FORBIDDEN")
            }
            let limited = try await Self.change(
                client, alice, ["new_password": .string(Self.newPassword), "auth": alice.passwordAuth])
            #expect(limited.status == 429)
            #expect(limited.errcode == "M_LIMIT_EXCEEDED")
        }
    }

    @Test func theRightPasswordChangesIt() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let challenge = try await Self.change(client, alice, ["new_password": .string(Self.newPassword)])
            var auth = alice.passwordAuth
            auth["session"] = .string(try #require(challenge["session"]?.stringValue))
            let done = try await Self.change(client, alice, ["new_password": .string(Self.newPassword), "auth": auth])
            #expect(done.status == 200)
            #expect(done.body == [:])
            let old = try await Self.login(client, alice, password: alice.password)
            #expect(old.status == 403)
            #expect(old.errcode == "M_FORBIDDEN")
            #expect(try await Self.login(client, alice, password: Self.newPassword).status == 200)
        }
    }

    @Test func otherDevicesAndTokensAreLoggedOutByDefault() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice", deviceID: "MAIN")
            let other = try await client.login(alice, deviceID: "OTHER")
            let mainAgain = try await client.login(alice, deviceID: "MAIN")
            for device in [alice, other] {
                let upload = try await client.client(
                    .post, "/keys/upload", token: device.token,
                    body: ["device_keys": DeviceKeyFactory(device).deviceKeys()])
                try #require(upload.status == 200)
            }
            let bob = try await client.register("bob")
            let roomID = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, roomID)
            let bobSince = try await client.position(bob)

            // Bob's sync is already waiting: the deletion wakes it, as `/delete_devices` would.
            let (bobSync, elapsed, done) = try await client.withExtraConnection { connection in
                async let done = {
                    try await Task.sleep(for: .milliseconds(300))
                    return try await Self.change(
                        client, alice, ["new_password": .string(Self.newPassword), "auth": alice.passwordAuth])
                }()
                let start = ContinuousClock.now
                let reply = try await connection.send(.get, "/sync?timeout=30000&since=\(bobSince)", token: bob.token)
                return (reply, ContinuousClock.now - start, try await done)
            }
            #expect(done.status == 200)
            // Well before the 30 s timeout, with a margin for a machine running the whole suite.
            #expect(elapsed < .seconds(20), "woken, not timed out: \(elapsed)")
            #expect(bobSync.changed.contains(alice.userID))

            let gone = try await client.client(.get, "/account/whoami", token: other.token)
            #expect(gone.status == 401)
            #expect(gone.errcode == "M_UNKNOWN_TOKEN")
            let secondToken = try await client.client(.get, "/account/whoami", token: mainAgain.token)
            #expect(secondToken.errcode == "M_UNKNOWN_TOKEN", "every other token goes, even the same device's")
            let whoami = try await client.client(.get, "/account/whoami", token: alice.token)
            #expect(whoami.status == 200)
            #expect(whoami["device_id"] == "MAIN")
            let devices = try await client.client(.get, "/devices", token: alice.token)
            #expect(devices["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue } == ["MAIN"])
            let query = try await client.client(
                .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: []])])
            #expect(query["device_keys"]?[alice.userID]?.objectValue.map { Set($0.keys) } == ["MAIN"])
        }
    }

    @Test func logoutDevicesFalseKeepsEveryDevice() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice", deviceID: "MAIN")
            let other = try await client.login(alice, deviceID: "OTHER")
            let mainAgain = try await client.login(alice, deviceID: "MAIN")
            let done = try await Self.change(
                client, alice,
                ["new_password": .string(Self.newPassword), "logout_devices": false, "auth": alice.passwordAuth])
            #expect(done.status == 200)
            for device in [alice, other, mainAgain] {
                #expect(try await client.client(.get, "/account/whoami", token: device.token).status == 200)
            }
            let devices = try await client.client(.get, "/devices", token: other.token)
            #expect(devices["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue } == ["MAIN", "OTHER"])
            #expect(try await Self.login(client, alice, password: Self.newPassword).status == 200)
        }
    }

    @Test func aBadNewPasswordIsRefusedBeforeAnythingChanges() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let other = try await client.login(alice, deviceID: "OTHER")
            let cases: [(String, JSONValue, String)] = [
                ("missing", ["auth": alice.passwordAuth], "M_MISSING_PARAM"),
                ("not a string", ["new_password": 42, "auth": alice.passwordAuth], "M_BAD_JSON"),
                ("empty", ["new_password": "", "auth": alice.passwordAuth], "M_INVALID_PARAM"),
                (
                    "over 512 bytes",
                    ["new_password": .string(String(repeating: "é", count: 257)), "auth": alice.passwordAuth],
                    "M_INVALID_PARAM"
                ),
                (
                    "logout_devices not a boolean",
                    ["new_password": .string(Self.newPassword), "logout_devices": "yes", "auth": alice.passwordAuth],
                    "M_BAD_JSON"
                ),
            ]
            for (name, body, errcode) in cases {
                let reply = try await Self.change(client, alice, body)
                #expect(reply.status == 400, "\(name)")
                #expect(reply.errcode == errcode, "\(name): \(reply.body)")
            }
            try await Self.expectUnchanged(client, alice)
            #expect(try await client.client(.get, "/account/whoami", token: other.token).status == 200)
        }
    }

    @Test func aDeactivatedUserCannotChangeIt() async throws {
        try await TestServer.run(config: AdminAPITests.config()) { client in
            let admin = try await AdminAPITests.registerAdmin(client, "root")
            let alice = try await client.register("alice")
            let deactivated = try await client.request(
                .post, "/_synapse/admin/v1/deactivate/\(alice.userID)", token: admin, body: ["erase": false])
            try #require(deactivated.status == 200)
            let reply = try await Self.change(
                client, alice, ["new_password": .string(Self.newPassword), "auth": alice.passwordAuth])
            #expect(reply.status == 401)
            #expect(reply.errcode == "M_UNKNOWN_TOKEN")
            #expect(try await Self.login(client, alice, password: Self.newPassword).status == 403)
        }
    }

    @Test func capabilitiesOfferIt() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let reply = try await client.client(.get, "/capabilities", token: alice.token)
            #expect(reply["capabilities"]?["m.change_password"] == ["enabled": true])
        }
    }
}
