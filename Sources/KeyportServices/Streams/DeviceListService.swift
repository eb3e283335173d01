public import KeyportStore
public import MatrixModel

/// Who must be told that whose devices changed (guarantee 6): `changed` exactly when keys,
/// devices or cross-signing changed or a room became shared; `left` when no room is shared any more.
public struct DeviceListService: Sendable {
    let store: any StreamStore

    public init(store: any StreamStore) {
        self.store = store
    }

    /// The changes `userID` must hear of between two device-list positions.
    public func changes(for userID: String, from: Int64, to: Int64) async throws -> (changed: [String], left: [String])
    {
        guard to > from else { return ([], []) }
        let entries = try await store.deviceListChanges(from: from, to: to)
        guard !entries.isEmpty else { return ([], []) }
        let sharing = try await store.usersSharingRoom(with: userID)
        var changed: Set<String> = []
        var left: Set<String> = []
        for entry in entries {
            switch entry.kind {
            case .device, .crossSigning:
                if entry.userID == userID || sharing.contains(entry.userID) { changed.insert(entry.userID) }
            case .privateToUser:
                if entry.userID == userID { changed.insert(userID) }
            case .membership:
                guard let roomID = entry.roomID else { continue }
                let members = try await store.joinedMembers(roomID: roomID)
                if entry.userID == userID {
                    if entry.membership == "join" {
                        changed.formUnion(members)
                    } else {
                        left.formUnion(members.filter { !sharing.contains($0) && $0 != userID })
                    }
                } else if members.contains(userID) {
                    if entry.membership == "join" {
                        changed.insert(entry.userID)
                    } else if !sharing.contains(entry.userID) {
                        left.insert(entry.userID)
                    }
                }
            }
        }
        // Someone who shares no room now is in `left`; someone who does is not.
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
