public import KeyportStore
public import MatrixModel

/// Sync filters (`/user/{userId}/filter`) and how `/sync` reads them.
public struct FilterService: Sendable {
    let store: any RoomStore

    public init(store: any RoomStore) {
        self.store = store
    }

    /// Stores a filter for the caller; 403 for another user's ID.
    public func save(session: SessionRecord, userID: String, filter: JSONObject) async throws -> String {
        guard userID == session.userID else { throw MatrixError.forbidden("Cannot create filters for other users") }
        return try await store.saveFilter(userID: userID, filter: filter)
    }

    /// A stored filter of the caller; 404 if there is none.
    public func filter(session: SessionRecord, userID: String, filterID: String) async throws -> JSONObject {
        guard userID == session.userID else { throw MatrixError.forbidden("Cannot read filters of other users") }
        guard let filter = try await store.filter(userID: userID, filterID: filterID) else {
            throw MatrixError.notFound("No such filter")
        }
        return filter
    }

    /// The `filter` query parameter of `/sync`: inline JSON or the ID of a stored filter.
    public func resolve(_ text: String?, session: SessionRecord) async throws -> JSONObject {
        guard let text, !text.isEmpty else { return [:] }
        if text.hasPrefix("{") {
            guard let object = try? JSONParser(options: .lenient).parse(text).objectValue else {
                throw MatrixError.badJSON("The filter is not a JSON object")
            }
            return object
        }
        return try await filter(session: session, userID: session.userID, filterID: text)
    }
}
