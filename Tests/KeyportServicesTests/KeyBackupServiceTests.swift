import KeyportServices
import KeyportStore
import MatrixModel
import Testing

/// The limits of `KeyBackupService`, lowered so a test can reach them.
@Suite("Key backup limits")
struct KeyBackupServiceTests {
    static func key(_ index: Int64) -> JSONValue {
        ["first_message_index": .int(index), "forwarded_count": 0, "is_verified": false, "session_data": [:]]
    }

    static func expectError(_ status: Int, _ errcode: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(status) \(errcode)")
        } catch let error as MatrixError {
            #expect(error.status == status)
            #expect(error.errcode == errcode)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("A user's sessions in all versions not deleted are capped; replacing keys is not")
    func sessionsPerUser() async throws {
        var limits = KeyBackupLimits()
        limits.sessionsPerUser = 2
        let backup = KeyBackupService(store: try Fixtures.store(), limits: limits)
        let user = "@alice:test.local"
        let first = try await backup.createVersion(userID: user, body: ["algorithm": "m.a", "auth_data": [:]])
        _ = try await backup.uploadKeys(
            userID: user, version: first, scope: .room("!r"), body: ["sessions": ["a": Self.key(5)]])
        let second = try await backup.createVersion(userID: user, body: ["algorithm": "m.a", "auth_data": [:]])
        let upload = { (session: String, index: Int64) in
            try await backup.uploadKeys(
                userID: user, version: second, scope: .session(roomID: "!r", sessionID: session),
                body: Self.key(index)
                    .objectValue!)
        }
        #expect(try await upload("a", 5).count == 1)
        await Self.expectError(413, "M_TOO_LARGE") { _ = try await upload("b", 5) }
        #expect(try await upload("a", 1).etag == 2, "a better key for a stored session is still taken")
        try await backup.deleteVersion(userID: user, version: first)
        #expect(try await upload("b", 5).count == 2, "deleting the old version made room")
    }

    @Test("An upload holds a limited number of sessions; identifiers and data have a size")
    func perUpload() async throws {
        var limits = KeyBackupLimits()
        limits.sessionsPerUpload = 2
        limits.sessionDataBytes = 20
        limits.identifierBytes = 3
        let backup = KeyBackupService(store: try Fixtures.store(), limits: limits)
        let user = "@alice:test.local"
        let version = try await backup.createVersion(userID: user, body: ["algorithm": "m.a", "auth_data": [:]])
        func upload(_ body: JSONObject) async throws {
            _ = try await backup.uploadKeys(userID: user, version: version, scope: .all, body: body)
        }
        await Self.expectError(413, "M_TOO_LARGE") {
            try await upload([
                "rooms": [
                    "!r": ["sessions": ["a": Self.key(0), "b": Self.key(0)]], "!q": ["sessions": ["c": Self.key(0)]],
                ]
            ])
        }
        try await upload(["rooms": ["!r": ["sessions": ["a": Self.key(0), "b": Self.key(0)]]]])
        var big = Self.key(0)
        big["session_data"] = ["c": "0123456789abcdef"]
        await Self.expectError(413, "M_TOO_LARGE") { try await upload(["rooms": ["!r": ["sessions": ["c": big]]]]) }
        await Self.expectError(400, "M_INVALID_PARAM") {
            try await upload(["rooms": ["!long": ["sessions": ["c": Self.key(0)]]]])
        }
        await Self.expectError(400, "M_INVALID_PARAM") {
            _ = try await backup.createVersion(userID: user, body: ["algorithm": "m.ab", "auth_data": [:]])
        }
        #expect(try await backup.version(userID: user, version: nil).count == 2)
    }
}
