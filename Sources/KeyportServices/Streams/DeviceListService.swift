public import KeyportStore
public import MatrixModel

/// Who must be told that whose devices changed (guarantee 6): `changed` exactly when keys,
/// devices or cross-signing changed or a room became shared; `left` when no room is shared any more.
public struct DeviceListService: Sendable {
    let store: any StreamStore

    public init(store: any StreamStore) {
        self.store = store
    }

    /// The changes `userID` must hear of between two device-list positions. The answer depends
    /// only on the positions: room membership is taken as it was at `to`, so `/keys/changes` with the
    /// tokens of two syncs repeats what those syncs said.
    public func changes(for userID: String, from: Int64, to: Int64) async throws -> (changed: [String], left: [String])
    {
        guard to > from else { return ([], []) }
        let entries = try await store.deviceListChanges(from: from, to: to)
        guard !entries.isEmpty else { return ([], []) }
        let sharing = try await store.usersSharingRoom(with: userID, at: to)
        var changed: Set<String> = []
        var left: Set<String> = []
        var memberCache: [String: Set<String>] = [:]
        // Rooms the user joined inside the window: leaving one of them again ends the sharing it began.
        var joinedInWindow: Set<String> = []
        func wasIn(_ roomID: String) async throws -> Bool {
            if joinedInWindow.contains(roomID) { return true }
            return try await members(roomID, at: from).contains(userID)
        }
        func members(_ roomID: String, at position: Int64) async throws -> Set<String> {
            let key = "\(position) \(roomID)"
            if let cached = memberCache[key] { return cached }
            let members = Set(try await store.joinedMembers(roomID: roomID, at: position))
            memberCache[key] = members
            return members
        }
        for entry in entries {
            switch entry.kind {
            case .device, .crossSigning:
                if entry.userID == userID || sharing.contains(entry.userID) { changed.insert(entry.userID) }
            case .privateToUser:
                if entry.userID == userID { changed.insert(userID) }
            case .membership:
                guard let roomID = entry.roomID else { continue }
                let joined = entry.membership == "join"
                if entry.userID == userID {
                    if joined {
                        joinedInWindow.insert(roomID)
                        changed.formUnion(try await members(roomID, at: to))
                    } else if try await wasIn(roomID) {
                        // Only a room the user was in can be left: an invite or a rejected invite
                        // ends no sharing.
                        left.formUnion(try await members(roomID, at: to).union(try await members(roomID, at: from)))
                    }
                } else if joined {
                    if try await members(roomID, at: to).contains(userID) { changed.insert(entry.userID) }
                } else {
                    let wasThere = try await members(roomID, at: from).contains(userID)
                    if try await members(roomID, at: to).contains(userID) || wasThere { left.insert(entry.userID) }
                }
            }
        }
        // Someone who shares no room at `to` is in `left` (if they shared one before); anyone who
        // still shares a room is not.
        left.subtract(sharing)
        left.remove(userID)
        changed.subtract(left)
        return (changed.sorted(), left.sorted())
    }

    /// The newest device-list position.
    public func currentPosition() async throws -> Int64 {
        try await store.currentDeviceListPosition()
    }

    /// `GET /keys/changes?from=&to=`.
    public func keyChanges(for userID: String, from: String?, to: String?) async throws -> JSONValue {
        guard let from else { throw MatrixError.missingParam("Missing 'from' token") }
        guard let to else { throw MatrixError.missingParam("Missing 'to' token") }
        guard let fromToken = StreamToken(from), let toToken = StreamToken(to) else {
            throw MatrixError.invalidParam("Invalid stream token")
        }
        let (changed, left) = try await changes(for: userID, from: fromToken.deviceLists, to: toToken.deviceLists)
        return .object(["changed": .array(changed.map(JSONValue.string)), "left": .array(left.map(JSONValue.string))])
    }
}
