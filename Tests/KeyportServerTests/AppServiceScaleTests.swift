import Foundation
import Hummingbird
import KeyportServer
import KeyportServices
import KeyportStoreSQLite
import MatrixModel
import Synchronization
import Testing

/// An application service's namespace is a rule, not data: a namespace of exactly 1,000,000
/// users costs no stored row, and a thousand of its users' keys claimed and queried through the
/// service (MSC3983, MSC3984) store nothing either, until one of its users is registered. The
/// service itself has one row of sending state and one lease, whatever its namespace's size.
@Suite struct AppServiceScaleTests {
    /// Rows in every table of the SQLite database, and the bytes of its files (database and
    /// write-ahead log).
    struct Footprint: Equatable {
        var rows: [String: Int]
        var bytes: Int
        var totalRows: Int { rows.values.reduce(0, +) }
    }

    static func footprint(_ directory: String) async throws -> Footprint {
        let path = directory + "/keyport.db"
        let export = try SQLiteExport(path: path)
        var rows: [String: Int] = [:]
        for table in try await export.tables() { rows[table] = try await export.rowCount(of: table) }
        var bytes = 0
        for file in [path, path + "-wal"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            bytes += size ?? 0
        }
        return Footprint(rows: rows, bytes: bytes)
    }

    /// `@_huge_` and six digits: exactly one million user IDs, owned by the service.
    static func config(_ directory: String, url: String) throws -> KeyportConfig {
        var config = TestServer.config(dataDirectory: directory)
        config.msc3983AppServiceOTKClaims = true
        config.msc3984AppServiceKeyQuery = true
        config.applicationServices = [
            try .exclusive("huge", users: "@_huge_[0-9]{6}:test\\.local$", url: url)
        ]
        return config
    }

    /// The service's answers: a signed one-time key for every device asked about, and signed
    /// device keys for every user asked about (device `BRIDGE`).
    static func answer(_ request: FakePeer.Request) -> (status: Int, body: JSONValue) {
        let body = request.body ?? [:]
        if request.path.hasSuffix("/keys/claim") {
            var answer: JSONObject = [:]
            for (user, devices) in body {
                var keys: JSONObject = [:]
                for (device, _) in devices.objectValue ?? [:] {
                    let factory = DeviceKeyFactory(userID: user, deviceID: device)
                    keys[device] = ["signed_curve25519:AS": factory.signedKey()]
                }
                answer[user] = .object(keys)
            }
            return (200, .object(answer))
        }
        if request.path.hasSuffix("/keys/query") {
            var devices: JSONObject = [:]
            for user in body.keys {
                devices[user] = ["BRIDGE": DeviceKeyFactory(userID: user, deviceID: "BRIDGE").deviceKeys()]
            }
            return (200, ["device_keys": .object(devices)])
        }
        return (404, ["errcode": "M_UNRECOGNIZED"])
    }

    @Test func aMillionUserNamespaceStoresNothingUntilOneOfItsUsersIsRegistered() async throws {
        let directory = TestServer.temporaryDirectory()
        let carol = Mutex<TestUser?>(nil)
        try await TestServer.run(config: TestServer.config(dataDirectory: directory)) { client in
            let user = try await client.register("carol")
            carol.withLock { $0 = user }
        }
        let asker = try #require(carol.withLock { $0 })
        let before = try await Self.footprint(directory)

        let stub = AppServiceKeyTests.StubService { Self.answer($0) }
        try await FakePeer.run(stub.handler) { peer in
            try await TestServer.run(config: try Self.config(directory, url: "http://\(peer)")) { client in
                var claimed = 0
                var queried = 0
                for batch in 0..<10 {
                    let users = (0..<100).map { String(format: "@_huge_%06d:test.local", batch * 100_000 + $0 * 997) }
                    var wanted: JSONObject = [:]
                    var asked: JSONObject = [:]
                    for user in users {
                        wanted[user] = ["BRIDGE": "signed_curve25519"]
                        asked[user] = []
                    }
                    let claim = try await client.client(
                        .post, "/keys/claim", token: asker.token, body: ["one_time_keys": .object(wanted)])
                    #expect(claim.status == 200, "\(claim.body)")
                    claimed +=
                        users.filter { claim["one_time_keys"]?[$0]?["BRIDGE"]?["signed_curve25519:AS"] != nil }.count
                    let query = try await client.client(
                        .post, "/keys/query", token: asker.token,
                        body: ["device_keys": .object(asked)])
                    #expect(query.status == 200, "\(query.body)")
                    queried += users.filter { query["device_keys"]?[$0]?["BRIDGE"] != nil }.count
                }
                #expect(claimed == 1000, "every claim answered by the service")
                #expect(queried == 1000, "every query answered by the service")
            }
        }
        #expect(stub.received.count >= 20, "the service was asked")
        let after = try await Self.footprint(directory)
        var grown: [String: Int] = [:]
        for (table, count) in after.rows where count != before.rows[table, default: 0] {
            grown[table] = count - before.rows[table, default: 0]
        }
        #expect(
            grown == ["appservice_state": 1, "leases": 1],
            "a million-user namespace and 2,000 delegated requests stored nothing but the service's own sending state and lease"
        )
        print(
            "AppServiceScaleTests: before the service \(before.totalRows) rows, \(before.bytes) bytes; "
                + "after 1,000 claims and 1,000 queries for its 1,000,000-user namespace \(after.totalRows) rows, "
                + "\(after.bytes) bytes")

        // A user the service registers is stored like any other.
        try await FakePeer.run(stub.handler) { peer in
            try await TestServer.run(config: try Self.config(directory, url: "http://\(peer)")) { client in
                let registered = try await client.client(
                    .post, "/register", token: "as-huge",
                    body: ["type": "m.login.application_service", "username": "_huge_000001", "inhibit_login": true])
                #expect(registered.status == 200, "\(registered.body)")
            }
        }
        let used = try await Self.footprint(directory)
        #expect(used.totalRows > after.totalRows, "a registered user is stored")
        print("AppServiceScaleTests: after the service registered one user \(used.totalRows) rows, \(used.bytes) bytes")
    }
}
