import Foundation
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Two server processes on one database (here two service stacks on two connections to one SQLite
/// file): a user-interactive-auth session begun on one continues on the other, and a registration
/// nonce issued by one is accepted, once, by the other.
@Suite("Shared auth state")
struct SharedAuthStateTests {
    @Test("A UIA session started on one process is continued and completed on another")
    func sessionAcrossProcesses() async throws {
        let path = NSTemporaryDirectory() + "keyport-shared-" + UUID().uuidString + "/keyport.db"
        let first = Fixtures.services(try SQLiteStore(path: path), registration: true)
        let second = Fixtures.services(try SQLiteStore(path: path), registration: true)
        let session: String
        do {
            _ = try await first.accounts.register(body: ["username": "alice", "password": "pw"], kind: nil)
            Issue.record("registration without auth should ask for it")
            return
        } catch let error as MatrixError {
            #expect(error.status == 401)
            session = try #require(error.body["session"]?.stringValue)
        }
        let answer = try await second.accounts.register(
            body: [
                "username": "alice", "password": "pw", "auth": ["type": "m.login.dummy", "session": .string(session)],
            ], kind: nil)
        #expect(answer["user_id"] == "@alice:test.local")
    }

    @Test("A nonce from one process is accepted once by another")
    func nonceAcrossProcesses() async throws {
        let path = NSTemporaryDirectory() + "keyport-shared-" + UUID().uuidString + "/keyport.db"
        let clock = ServerClock.system
        let first = SharedSecretRegistration(secret: "s", store: try SQLiteStore(path: path), clock: clock)
        let second = SharedSecretRegistration(secret: "s", store: try SQLiteStore(path: path), clock: clock)
        let nonce = try await first.issueNonce()
        await #expect(throws: MatrixError.self) {
            // A wrong MAC still consumes the nonce, as Synapse does.
            try await second.verify(nonce: nonce, username: "u", password: "p", admin: false, userType: nil, mac: "00")
        }
        do {
            try await first.verify(nonce: nonce, username: "u", password: "p", admin: false, userType: nil, mac: "00")
            Issue.record("a used nonce was accepted")
        } catch let error as MatrixError {
            #expect(error.errcode == "M_INVALID_PARAM", "\(error)")
        }
    }
}
