public import KeyportStore
public import MatrixModel

/// Account data: who may read and write it, which types clients may not set, and the wake-up of
/// the user's `/sync` after a write. Secret storage (`m.secret_storage.*`, `m.cross_signing.*`,
/// `m.megolm_backup.v1`) is ordinary account data here: kept exactly as given.
public struct AccountDataService: Sendable {
    /// Types the server controls: the spec has clients set them through other APIs (read markers,
    /// push rules), so a `PUT` answers 405 `M_BAD_JSON`.
    public static let serverControlledTypes: Set<String> = ["m.fully_read", "m.push_rules"]
    /// The longest event type accepted, as for other event types.
    public static let maxTypeBytes = 255

    let store: any AccountDataStore
    let notifications: ChangeNotifications

    public init(store: any AccountDataStore, notifications: ChangeNotifications) {
        self.store = store
        self.notifications = notifications
    }

    public func set(
        session: SessionRecord, userID: String, roomID: String?, type: String, content: JSONObject?
    ) async throws {
        try Self.check(session: session, userID: userID, roomID: roomID, type: type)
        guard let content else { throw MatrixError.notJSON("The body must be a JSON object") }
        guard !Self.serverControlledTypes.contains(type) else {
            throw MatrixError(
                status: 405, errcode: "M_BAD_JSON", "\(type) is controlled by the server and cannot be set here")
        }
        try await store.setAccountData(userID: userID, roomID: roomID, type: type, content: content)
        await notifications.wake([userID])
    }

    public func get(session: SessionRecord, userID: String, roomID: String?, type: String) async throws -> JSONObject {
        try Self.check(session: session, userID: userID, roomID: roomID, type: type)
        guard let content = try await store.accountData(userID: userID, roomID: roomID, type: type) else {
            throw MatrixError(status: 404, errcode: "M_NOT_FOUND", "No account data of type \(type)")
        }
        return content
    }

    /// A user reads and writes only their own account data; room IDs and types must be well formed.
    static func check(session: SessionRecord, userID: String, roomID: String?, type: String) throws(MatrixError) {
        guard userID == session.userID else {
            throw MatrixError(status: 403, errcode: "M_FORBIDDEN", "Cannot access another user's account data")
        }
        if let roomID, !(roomID.hasPrefix("!") && roomID.utf8.count <= 255) {
            throw MatrixError.invalidParam("\(roomID) is not a room ID")
        }
        guard !type.isEmpty, type.utf8.count <= maxTypeBytes else {
            throw MatrixError.invalidParam("The account data type must be 1 to \(maxTypeBytes) bytes")
        }
    }
}
