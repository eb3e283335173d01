import KeyportStore

extension AppServiceTransactionBuilder {
    /// MSC3202's `device_lists` for the service between two device-list positions: `changed`, the
    /// users whose devices or cross-signing keys changed and whom the service follows (its users,
    /// and users in a room that interests it), and users who came to share such a room; `left`,
    /// users who stopped sharing one after a membership change. Synapse 1.163 computes no `left`;
    /// this fills it as `/sync` would for one of the service's users.
    func deviceLists(
        for service: ApplicationService, from: Int64, to: Int64, _ rooms: inout AppServiceRoomCache
    ) async throws -> (changed: Set<String>, left: Set<String>) {
        guard to > from else { return ([], []) }
        var changed: Set<String> = []
        var left: Set<String> = []
        func follows(_ userID: String, _ rooms: inout AppServiceRoomCache) async throws -> Bool {
            AppServiceInterest.followsDeviceLists(
                service, of: userID, joinedRooms: try await rooms.joinedRooms(of: userID))
        }
        for entry in try await store.deviceListChanges(from: from, to: to) {
            switch entry.kind {
            case .device, .crossSigning:
                if try await follows(entry.userID, &rooms) { changed.insert(entry.userID) }
            case .privateToUser:
                if service.isInterested(inUser: entry.userID) { changed.insert(entry.userID) }
            case .membership:
                guard let roomID = entry.roomID else { continue }
                let room = try await rooms.room(roomID)
                let serviceUserMoved = service.isInterested(inUser: entry.userID)
                if entry.membership == "join" {
                    if AppServiceInterest.isInterested(service, inRoom: room) { changed.insert(entry.userID) }
                    // One of its users joined: everyone in the room is now shared with the service.
                    if serviceUserMoved { changed.formUnion(try await store.joinedMembers(roomID: roomID)) }
                } else if AppServiceInterest.isInterested(service, inRoom: room) || serviceUserMoved {
                    if try await !follows(entry.userID, &rooms) { left.insert(entry.userID) }
                    if serviceUserMoved {
                        for member in try await store.joinedMembers(roomID: roomID) {
                            if try await !follows(member, &rooms) { left.insert(member) }
                        }
                    }
                }
            }
        }
        // Anyone the service still follows is not gone; anyone gone is not reported changed.
        for userID in left {
            if try await follows(userID, &rooms) { left.remove(userID) }
        }
        changed.subtract(left)
        return (changed, left)
    }
}
