import Crypto
import Foundation
import Hummingbird
import KeyportServer
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Synapse's admin API: only admins, Synapse's shapes, and deactivation that takes everything.
@Suite("Admin API")
struct AdminAPITests {
    static let secret = "s3cret"

    static func config(directory: String = TestServer.temporaryDirectory()) -> KeyportConfig {
        var config = TestServer.config(dataDirectory: directory)
        config.registrationSharedSecret = secret
        return config
    }

    /// Registers an admin the way `register_new_matrix_user -a` does; returns its token.
    static func registerAdmin(_ client: MatrixClient, _ name: String) async throws -> String {
        let nonce = try #require(try await client.request(.get, "/_synapse/admin/v1/register")["nonce"]?.stringValue)
        let message = "\(nonce)\u{0}\(name)\u{0}pw\u{0}admin"
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Array(message.utf8), using: SymmetricKey(data: Array(secret.utf8))
        ).map { String(format: "%02x", $0) }.joined()
        let reply = try await client.request(
            .post, "/_synapse/admin/v1/register",
            body: [
                "nonce": .string(nonce), "username": .string(name), "password": "pw", "admin": true,
                "mac": .string(mac),
            ])
        return try #require(reply["access_token"]?.stringValue)
    }

    @Test("Non-admins get 403 M_FORBIDDEN on every admin route; no token gets 401")
    func refusesNonAdmins() async throws {
        try await TestServer.run(config: Self.config()) { client in
            let alice = try await client.register("alice")
            let routes: [(HTTPRequest.Method, String, JSONValue?)] = [
                (.get, "/_synapse/admin/v2/users", nil),
                (.get, "/_synapse/admin/v2/users/\(alice.userID)", nil),
                (.get, "/_synapse/admin/v2/users/\(alice.userID)/devices", nil),
                (.delete, "/_synapse/admin/v2/users/\(alice.userID)/devices/\(alice.deviceID)", nil),
                (
                    .post, "/_synapse/admin/v2/users/\(alice.userID)/delete_devices",
                    ["devices": [.string(alice.deviceID)]]
                ),
                (.post, "/_synapse/admin/v1/deactivate/\(alice.userID)", ["erase": false]),
            ]
            for (method, path, body) in routes {
                let reply = try await client.request(method, path, token: alice.token, body: body)
                #expect(reply.status == 403 && reply.errcode == "M_FORBIDDEN", "\(method) \(path)")
                let anonymous = try await client.request(method, path, body: body)
                #expect(anonymous.status == 401, "\(method) \(path)")
            }
            // Nothing was deleted by the refused calls.
            let whoami = try await client.client(.get, "/account/whoami", token: alice.token)
            #expect(whoami["user_id"] == .string(alice.userID))
        }
    }

    @Test("Users are listed with Synapse's fields and paged with next_token and total")
    func listsUsers() async throws {
        try await TestServer.run(config: Self.config()) { client in
            let admin = try await Self.registerAdmin(client, "root")
            for name in ["bob", "carol", "dave"] { _ = try await client.register(name) }
            let version = try await client.request(.get, "/_synapse/admin/v1/server_version")
            #expect(version["server_version"]?.stringValue?.isEmpty == false)
            let first = try await client.request(.get, "/_synapse/admin/v2/users?from=0&limit=2", token: admin)
            #expect(first.status == 200)
            #expect(first["total"] == 4)
            #expect(first["next_token"] == "2")
            #expect(
                first["users"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                    "@bob:test.local", "@carol:test.local",
                ])
            let second = try await client.request(.get, "/_synapse/admin/v2/users?from=2&limit=2", token: admin)
            #expect(
                second["users"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                    "@dave:test.local", "@root:test.local",
                ])
            #expect(second["next_token"] == nil)
            let root = try await client.request(.get, "/_synapse/admin/v2/users/@root:test.local", token: admin)
            #expect(root["admin"] == 1 && root["deactivated"] == 0 && root["is_guest"] == 0)
            #expect(root["creation_ts"]?.intValue != nil && root["threepids"] == [])
            let missing = try await client.request(.get, "/_synapse/admin/v2/users/@nobody:test.local", token: admin)
            #expect(missing.status == 404 && missing.errcode == "M_NOT_FOUND")
            let bad = try await client.request(.get, "/_synapse/admin/v2/users?limit=-1", token: admin)
            #expect(bad.status == 400 && bad.errcode == "M_INVALID_PARAM")
        }
    }

    @Test("Devices are listed and deleted without user-interactive auth")
    func devices() async throws {
        try await TestServer.run(config: Self.config()) { client in
            let admin = try await Self.registerAdmin(client, "root")
            let bob = try await client.register("bob")
            let second = try await client.login(bob, deviceID: "SECOND")
            let third = try await client.login(bob, deviceID: "THIRD")
            let listed = try await client.request(.get, "/_synapse/admin/v2/users/\(bob.userID)/devices", token: admin)
            #expect(listed["total"] == 3)
            #expect(
                Set(listed["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue } ?? [])
                    == [bob.deviceID, "SECOND", "THIRD"])
            let one = try await client.request(
                .delete, "/_synapse/admin/v2/users/\(bob.userID)/devices/SECOND", token: admin)
            #expect(one.status == 200 && one.body == [:])
            #expect(
                try await client.request(.get, "/_matrix/client/v3/account/whoami", token: second.token).status == 401)
            let many = try await client.request(
                .post, "/_synapse/admin/v2/users/\(bob.userID)/delete_devices", token: admin,
                body: ["devices": ["THIRD", "UNKNOWN"]])
            #expect(many.status == 200)
            #expect(
                try await client.request(.get, "/_matrix/client/v3/account/whoami", token: third.token).status == 401)
            #expect(try await client.request(.get, "/_matrix/client/v3/account/whoami", token: bob.token).status == 200)
        }
    }

    @Test("Deactivation drops every device, key and token and the password, and tells the user's contacts")
    func deactivation() async throws {
        try await TestServer.run(config: Self.config()) { client in
            let admin = try await Self.registerAdmin(client, "root")
            let bob = try await client.register("bob")
            let carol = try await client.register("carol")
            let keys = DeviceKeyFactory(bob)
            _ = try await client.client(
                .post, "/keys/upload", token: bob.token,
                body: ["device_keys": keys.deviceKeys(), "one_time_keys": ["signed_curve25519:1": keys.signedKey()]])
            let room = try await client.createRoom(carol)
            try await client.invite(carol, room, bob)
            try await client.join(bob, room)
            let since = try #require(
                try await client.client(.get, "/sync?timeout=0", token: carol.token)["next_batch"]?.stringValue)

            let reply = try await client.request(
                .post, "/_synapse/admin/v1/deactivate/\(bob.userID)", token: admin, body: ["erase": false])
            #expect(reply.status == 200 && reply["id_server_unbind_result"] == "success")

            #expect(try await client.request(.get, "/_matrix/client/v3/account/whoami", token: bob.token).status == 401)
            let login = try await client.client(
                .post, "/login", body: ["type": "m.login.password", "user": "bob", "password": .string(bob.password)])
            #expect(login.status == 403)
            let query = try await client.client(
                .post, "/keys/query", token: carol.token, body: ["device_keys": .object([bob.userID: []])])
            #expect(query["device_keys"]?[bob.userID] == [:])
            let details = try await client.request(.get, "/_synapse/admin/v2/users/\(bob.userID)", token: admin)
            #expect(details["deactivated"] == 1)
            // bob's devices went, then bob left the only room he shared with carol: he is in `left`.
            let sync = try await client.client(.get, "/sync?timeout=0&since=\(since)", token: carol.token)
            #expect(sync["device_lists"]?["left"]?.arrayValue?.contains(.string(bob.userID)) == true)
            // The user ID stays taken.
            let again = try await client.client(
                .post, "/register", body: ["username": "bob", "password": "x", "auth": ["type": "m.login.dummy"]])
            #expect(again.status == 400 && again.errcode == "M_USER_IN_USE")
        }
    }
}

/// Synapse's `federation/destinations` admin API: a destination that fails shows its backoff, and
/// `reset_connection` clears it.
@Suite("Admin API: federation destinations")
struct AdminDestinationTests {
    @Test("A failing destination shows failure_ts, retry_last_ts and retry_interval until reset")
    func backoffAndReset() async throws {
        let directory = TestServer.temporaryDirectory()
        var config = AdminAPITests.config(directory: directory)
        config.listeners = [.init(port: 0, servesMatrix: true, servesMetrics: true)]
        try await TestServer.run(config: config) { client in
            let admin = try await AdminAPITests.registerAdmin(client, "root")
            // Port 1 on loopback refuses (or the blacklist refuses it first): either way a failure.
            let destination = "127.0.0.1:1"
            let store = try SQLiteStore(path: "\(directory)/keyport.db")
            try await store.enqueueEDUs([QueuedEDU(destination: destination, type: "m.test", content: [:])], now: 1)
            try await store.createRoom(roomID: "!queued:test", version: "12", creator: "@root:test", now: 1)
            try await store.appendEvents([
                RoomEvent(
                    eventID: "$queued", roomID: "!queued:test", type: "m.room.message", stateKey: nil,
                    sender: "@root:test", content: [:], originServerTS: 1, pdu: ["type": "m.room.message"])
            ])
            try await store.enqueuePDUs(eventIDs: ["$queued"], destinations: [destination], now: 1)
            let path = "/_synapse/admin/v1/federation/destinations/\(destination)"
            var shown = try await client.request(.get, path, token: admin)
            let deadline = ContinuousClock.now + .seconds(20)
            while shown["failure_ts"]?.intValue == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                shown = try await client.request(.get, path, token: admin)
            }
            #expect(shown.status == 200 && shown["destination"] == .string(destination))
            let failed = try #require(shown["failure_ts"]?.intValue)
            #expect(failed > 0 && (shown["retry_last_ts"]?.intValue ?? 0) >= failed)
            #expect((shown["retry_interval"]?.intValue ?? 0) > 0)
            let listed = try await client.request(.get, "/_synapse/admin/v1/federation/destinations", token: admin)
            #expect(listed["total"] == 1)
            #expect(listed["destinations"]?.arrayValue?.first?["destination"] == .string(destination))

            let metrics = try await MetricsTests.scrape(client).text
            #expect(
                MetricsTests.value(
                    #"keyport_federation_transactions_total{destination="127.0.0.1:1",result="failed"}"#, in: metrics)
                    >= 1)
            #expect(MetricsTests.value("keyport_federation_destinations_backed_off", in: metrics) == 1)
            #expect(
                MetricsTests.value(#"keyport_federation_queued_edus{destination="127.0.0.1:1"}"#, in: metrics) == 1)
            #expect(
                MetricsTests.value(#"keyport_federation_queued_pdus{destination="127.0.0.1:1"}"#, in: metrics) == 1)

            let reset = try await client.request(.post, path + "/reset_connection", token: admin, body: [:])
            #expect(reset.status == 200)
            let unknown = try await client.request(
                .get, "/_synapse/admin/v1/federation/destinations/nowhere.example", token: admin)
            #expect(unknown.status == 404 && unknown.errcode == "M_NOT_FOUND")
            let bob = try await client.register("bob")
            let refused = try await client.request(.get, "/_synapse/admin/v1/federation/destinations", token: bob.token)
            #expect(refused.status == 403)
        }
    }
}
