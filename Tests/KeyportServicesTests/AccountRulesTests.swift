import KeyportServices
import KeyportStore
import MatrixModel
import Testing

/// Account rules: passwords, usernames, user-interactive auth, rate limits.
@Suite struct AccountRulesTests {
    @Test func passwordHashesVerifyAndDiffer() async throws {
        let hasher = PasswordHasher(rounds: 1000)
        let first = try await hasher.hash("correct horse")
        let second = try await hasher.hash("correct horse")
        #expect(first != second)
        #expect(first.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(try await hasher.verify("correct horse", against: first))
        #expect(try await !hasher.verify("wrong", against: first))
        #expect(try await !hasher.verify("correct horse", against: "garbage"))
        // A hash made with other rounds still verifies: the rounds are stored with it.
        #expect(try await PasswordHasher(rounds: 5).verify("correct horse", against: first))
    }

    @Test func newUserIDsFollowTheGrammar() throws {
        let services = Fixtures.services(try Fixtures.store())
        #expect(
            try services.accounts.newUserID(localpart: "alice.b-c_d=e/f+g").rawValue == "@alice.b-c_d=e/f+g:test.local")
        for bad in ["Alice", "al ice", "", "_bridge", "ü"] {
            #expect(throws: MatrixError.self) { try services.accounts.newUserID(localpart: bad) }
        }
        #expect(throws: MatrixError.self) {
            try services.accounts.newUserID(localpart: String(repeating: "a", count: 250))
        }
    }

    @Test func passwordAuthFlow() async throws {
        let store = try Fixtures.store()
        let services = Fixtures.services(store)
        let alice = try #require(
            try await services.accounts.register(
                userID: UserID("@alice:test.local")!, password: "pw", deviceID: "D", displayName: nil,
                inhibitLogin: true
            ).userID)
        let challenge = await #expect(throws: MatrixError.self) {
            try await services.accounts.requirePassword(auth: nil, userID: alice)
        }
        #expect(challenge?.status == 401)
        #expect(challenge?.extra["session"] != nil)
        let wrong = await #expect(throws: MatrixError.self) {
            try await services.accounts.requirePassword(
                auth: ["type": "m.login.password", "user": "alice", "password": "nope"], userID: alice)
        }
        #expect(wrong?.status == 401)
        #expect(wrong?.errcode == "M_FORBIDDEN")
        try await services.accounts.requirePassword(
            auth: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "@alice:test.local"],
                "password": "pw",
            ],
            userID: alice)
    }

    @Test func rateLimiterRefillsOverTime() async throws {
        let limiter = RateLimiter(limit: RateLimit(perSecond: 20, burst: 2))
        try await limiter.acquire("k")
        try await limiter.acquire("k")
        let error = await #expect(throws: MatrixError.self) { try await limiter.acquire("k") }
        #expect(error?.status == 429)
        #expect((error?.extra["retry_after_ms"]?.intValue ?? 0) > 0)
        try await limiter.acquire("other")
        try await Task.sleep(for: .milliseconds(120))
        try await limiter.acquire("k")
    }
}
