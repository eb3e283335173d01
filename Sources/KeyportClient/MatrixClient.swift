import Foundation
import MatrixModel

/// A Matrix client with end-to-end encryption, for one device whose state lives in a
/// ``ClientStore``. Every method is one step a user or a loop takes; nothing is cached in memory, so
/// two processes taking turns on one store (or one killed and restarted) see the same state.
///
/// The pieces live one concern to a file: login and registration, the sync loop, key upload, device
/// tracking, Olm to-device messages, room-key sharing and rotation, rooms and messages, key requests,
/// and cross-signing.
public final class MatrixClient: Sendable {
    public let store: ClientStore
    public let identity: ClientIdentity
    public let api: HomeserverAPI
    let olm: OlmChannel
    let megolm: MegolmRoomCrypto

    init(store: ClientStore, identity: ClientIdentity) {
        self.store = store
        self.identity = identity
        api = HomeserverAPI(baseURL: identity.homeserver, accessToken: identity.accessToken)
        olm = OlmChannel(userID: identity.userID, deviceID: identity.deviceID)
        megolm = MegolmRoomCrypto(userID: identity.userID, deviceID: identity.deviceID)
    }

    /// The client of a store that is logged in already. `homeserver`, when given, is the URL to
    /// reach the account's homeserver at now (it may differ from the one used at login: a new port, a
    /// proxy); the account and device stay the store's.
    public static func open(store: ClientStore, homeserver: String? = nil) async throws -> MatrixClient {
        guard var identity = try await store.read({ try $0.identity() }) else { throw ClientError.notLoggedIn }
        if let homeserver { identity.homeserver = homeserver }
        return MatrixClient(store: store, identity: identity)
    }

    public var userID: String { identity.userID }
    public var deviceID: String { identity.deviceID }

    /// A transaction ID unique to this device for `PUT` endpoints.
    static func transactionID() -> String { "kc-" + UUID().uuidString.lowercased() }

    /// Calls `request` without auth, and again with `m.login.password` when the server answers
    /// 401 with user-interactive-auth flows.
    @discardableResult
    func withPassword(
        _ password: String, _ request: @Sendable (JSONObject?) async throws -> JSONObject
    ) async throws -> JSONObject {
        do {
            return try await request(nil)
        } catch let error as HomeserverError where error.status == 401 && error.body["flows"] != nil {
            var auth: JSONObject = [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(userID)],
                "password": .string(password),
            ]
            if let session = error.body["session"] { auth["session"] = session }
            do {
                return try await request(auth)
            } catch let error as HomeserverError {
                throw error.clientError
            }
        } catch let error as HomeserverError {
            throw error.clientError
        }
    }
}
