import Dispatch
import KeyportServices
import KeyportStore
import MatrixModel
import Testing

/// Password checks: failed attempts are limited per user and per address, unknown users cost a
/// derivation like known ones, and derivations run on the hashing pool's own threads.
@Suite struct PasswordAttemptTests {
    private static func register(_ localpart: String, in services: Services) async throws -> String {
        try await services.accounts.register(
            userID: UserID("@\(localpart):test.local")!, password: "right", deviceID: nil, displayName: nil,
            inhibitLogin: true
        ).userID
    }

    private static func wrongLogin(_ services: Services, user: String, address: String) async -> MatrixError? {
        await #expect(throws: MatrixError.self) {
            _ = try await services.accounts.login(
                user: user, password: "wrong", deviceID: nil, displayName: nil, address: address)
        }
    }

    @Test func failedLoginsAreLimitedPerUser() async throws {
        let services = Fixtures.services(try Fixtures.store())
        _ = try await Self.register("alice", in: services)
        _ = try await Self.register("bob", in: services)
        for attempt in 0..<3 {
            let error = await Self.wrongLogin(services, user: "alice", address: "10.0.0.\(attempt)")
            #expect(error?.errcode == "M_FORBIDDEN")
        }
        // From a fourth address, even the right password is refused: the user's budget is spent.
        let limited = await #expect(throws: MatrixError.self) {
            _ = try await services.accounts.login(
                user: "alice", password: "right", deviceID: nil, displayName: nil, address: "10.0.0.9")
        }
        #expect(limited?.status == 429)
        #expect(limited?.errcode == "M_LIMIT_EXCEEDED")
        #expect(limited?.extra["retry_after_ms"] != nil)
        // Another user is not affected.
        _ = try await services.accounts.login(
            user: "bob", password: "right", deviceID: nil, displayName: nil, address: "10.0.0.9")
    }

    @Test func failedLoginsAreLimitedPerAddress() async throws {
        let services = Fixtures.services(try Fixtures.store())
        for name in ["carol", "dave", "erin", "frank"] { _ = try await Self.register(name, in: services) }
        for name in ["carol", "dave", "erin"] {
            #expect(await Self.wrongLogin(services, user: name, address: "192.0.2.7")?.errcode == "M_FORBIDDEN")
        }
        #expect(await Self.wrongLogin(services, user: "frank", address: "192.0.2.7")?.status == 429)
        // The same user from another address still gets an answer.
        #expect(await Self.wrongLogin(services, user: "frank", address: "192.0.2.8")?.errcode == "M_FORBIDDEN")
    }

    @Test func interactiveAuthPasswordsShareTheLimit() async throws {
        let services = Fixtures.services(try Fixtures.store())
        let alice = try await Self.register("alice", in: services)
        let wrong: JSONObject = ["type": "m.login.password", "user": "alice", "password": "nope"]
        for _ in 0..<3 {
            let error = await #expect(throws: MatrixError.self) {
                try await services.accounts.requirePassword(auth: wrong, userID: alice, address: "198.51.100.1")
            }
            #expect(error?.status == 401)
            #expect(error?.errcode == "M_FORBIDDEN")
        }
        let right: JSONObject = ["type": "m.login.password", "user": "alice", "password": "right"]
        let limited = await #expect(throws: MatrixError.self) {
            try await services.accounts.requirePassword(auth: right, userID: alice, address: "198.51.100.2")
        }
        #expect(limited?.status == 429)
        #expect(limited?.errcode == "M_LIMIT_EXCEEDED")
    }

    @Test func unknownUsersCostADerivation() async throws {
        let pool = KeyDerivationPool()
        let services = Fixtures.services(try Fixtures.store(), hasher: PasswordHasher(rounds: 10, pool: pool))
        let before = pool.completedCount
        let error = await Self.wrongLogin(services, user: "nobody", address: "203.0.113.1")
        #expect(error?.errcode == "M_FORBIDDEN")
        #expect(pool.completedCount == before + 1)
    }

    @Test func derivationsRunOnThePoolsThreads() async throws {
        let pool = KeyDerivationPool(threads: 2)
        #expect(!KeyDerivationPool.isCurrentThreadInPool)
        #expect(try await pool.run { KeyDerivationPool.isCurrentThreadInPool })
        let hasher = PasswordHasher(rounds: 10, pool: pool)
        _ = try await hasher.verify("x", against: try await hasher.hash("x"))
        #expect(pool.completedCount == 3)
    }

    @Test func aFullPoolRefusesMoreWork() async throws {
        let pool = KeyDerivationPool(threads: 1, maxPending: 1)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        async let blocked: Void = pool.run {
            started.signal()
            gate.wait()
        }
        // Not on a thread of Dispatch's global queue: those are the Swift concurrency pool's, and
        // the `async let` above needs one to start.
        await wait(for: started)
        let refused = await #expect(throws: MatrixError.self) { try await pool.run {} }
        #expect(refused?.status == 429)
        gate.signal()
        try await blocked
        try await pool.run {}
    }
}
