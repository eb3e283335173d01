public import MatrixModel

/// One piece of a user's account data: global (`roomID` nil) or for one room.
public struct AccountDataRecord: Sendable, Equatable {
    public var roomID: String?
    public var type: String
    public var content: JSONObject
    /// Where the latest write of this piece sits in the account-data stream.
    public var streamID: Int64

    public init(roomID: String?, type: String, content: JSONObject, streamID: Int64) {
        self.roomID = roomID
        self.type = type
        self.content = content
        self.streamID = streamID
    }
}

/// Account data (`/user/{userId}/[rooms/{roomId}/]account_data/{type}`), with a stream of its own
/// so `/sync` sends each piece once after it changed. Secret storage keeps its encrypted secrets
/// here, so a write is never lost or reordered: positions follow commit order, as for every stream.
public protocol AccountDataStore: Sendable {
    /// Stores the content (replacing what was there) and returns its new stream position.
    @discardableResult
    func setAccountData(userID: String, roomID: String?, type: String, content: JSONObject) async throws -> Int64
    /// The stored content, if any.
    func accountData(userID: String, roomID: String?, type: String) async throws -> JSONObject?
    /// The user's pieces whose latest write is in `(after, upTo]`, in stream order.
    func accountDataChanges(userID: String, after: Int64, upTo: Int64) async throws -> [AccountDataRecord]
    /// The newest committed position of the account-data stream.
    func currentAccountDataPosition() async throws -> Int64
}
