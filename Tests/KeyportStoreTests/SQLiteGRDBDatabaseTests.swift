import Foundation
import KeyportStore
import KeyportStoreConformance
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Keyport's store ran on GRDB before it had its own SQLite layer: a database from then must open
/// as it is, keep its data, and take new writes.
@Suite("SQLiteStore on a database written by the GRDB-based store")
struct SQLiteGRDBDatabaseTests {
    @Test("it opens without re-running a migration, reads back, and goes on from where it was")
    func opensAndContinues() async throws {
        let directory = try SQLiteConformanceTests.TemporaryDirectory()
        let path = directory.newDatabasePath()
        let fixture = try #require(
            Bundle.module.url(forResource: "grdb-keyport", withExtension: "sqlite", subdirectory: "Fixtures"))
        try FileManager.default.copyItem(at: fixture, to: URL(fileURLWithPath: path))

        // Re-running a recorded migration would fail here: v1 creates its tables without IF NOT EXISTS.
        let store = try SQLiteStore(path: path)
        #expect(
            try await store.account(userID: alice)
                == AccountRecord(userID: alice, passwordHash: "hash", isAdmin: true, createdAt: 7))
        #expect(try await store.session(tokenHash: "token-alice-D") == SessionRecord(userID: alice, deviceID: "D"))
        #expect(
            try await store.devices(userID: alice) == [
                DeviceRecord(
                    userID: alice, deviceID: "D", displayName: "Phone", lastSeenIP: "192.0.2.1", lastSeenTS: 42)
            ])
        let keys = try #require(try await store.deviceKeys(userID: alice, deviceID: "D"))
        #expect(keys["keys"]?.objectValue?["ed25519:D"]?.stringValue == "ED-KEY")
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == ["signed_curve25519": 1])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == ["signed_curve25519"])
        #expect(try await store.usersSharingRoom(with: alice) == [bob])
        #expect(try await store.currentDeviceListPosition() == 4)

        // The key claimed under GRDB stays claimed: the next claims give B, then the fallback key.
        let claims = try await store.claimKeys([claimTarget(alice, "D"), claimTarget(alice, "D")], now: 3)
        #expect(claims.map(\.key.keyID) == ["signed_curve25519:B", "signed_curve25519:F"])
        #expect(claims.map(\.isFallback) == [false, true])
        // New rows continue the old sequences.
        try await login(store, alice, "E")
        #expect(try await store.currentDeviceListPosition() == 5)
        #expect(try await store.devices(userID: alice).map(\.deviceID) == ["D", "E"])
    }
}
