import Foundation
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import MatrixSigning

/// A fresh SQLite store and services on a temporary file.
enum Fixtures {
    static func store() throws -> SQLiteStore {
        let path = NSTemporaryDirectory() + "keyport-services-" + UUID().uuidString + "/keyport.db"
        return try SQLiteStore(path: path)
    }

    static let identity = ServerIdentity(
        serverName: ServerName("test.local")!, signingKey: try! SigningKey(version: "t", seed: Array(1...32)))

    /// Failed passwords refill one per 1,000 s rather than Synapse's one per 6 s: the limit tests
    /// count attempts, and on a loaded machine a slow test would otherwise see the bucket refill.
    static func services(
        _ store: SQLiteStore, registration: Bool = true, hasher: PasswordHasher = PasswordHasher(rounds: 10)
    ) -> Services {
        Services(
            storage: store, identity: identity, policy: RegistrationPolicy(enabled: registration, sharedSecret: nil),
            hasher: hasher, failedPasswordAttempts: RateLimit(perSecond: 0.001, burst: 3))
    }

    /// Creates an account with one logged-in device.
    static func user(_ localpart: String, in store: SQLiteStore, device: String = "DEV") async throws -> String {
        let userID = "@\(localpart):test.local"
        try await store.createAccount(AccountRecord(userID: userID, passwordHash: nil, createdAt: 0))
        try await store.createSession(
            userID: userID, deviceID: device, initialDisplayName: nil, tokenHash: UUID().uuidString, now: 0)
        return userID
    }
}
