import KeyportStore
import Logging
public import MatrixModel

extension AdminService {
    /// `POST /_synapse/admin/v1/deactivate/{userId}`: every device, key and token goes, the
    /// device-list changes reach the servers sharing a room with the user, then the user leaves
    /// every room and rejects every pending invite, as Synapse's deactivation does.
    ///
    /// The order matters: the devices go first, so their deletions are in the device-list stream
    /// while the user still shares the rooms (the federation sender sends each change to the servers
    /// sharing a room at its position, so the leaves that follow do not hide it from them). The
    /// leaves are events the server sends on the user's behalf, which needs no device or token.
    public func deactivate(_ userID: String) async throws -> JSONValue {
        _ = try await localAccount(userID)
        if try await store.deactivateAccount(userID: userID) {
            try await notifications.deviceListChanged(of: userID)
        }
        await partAllRooms(userID)
        return .object(["id_server_unbind_result": "success"])
    }

    /// Leaves every joined room and rejects every invite through `RoomService.leave`. A room that
    /// fails is logged and skipped: the others are still left and deactivation still succeeds
    /// (Synapse's user parter does the same), and deactivating again retries what is left.
    func partAllRooms(_ userID: String) async {
        let roomIDs: [String]
        do {
            roomIDs = try await rooms.roomsToPart(userID: userID)
        } catch {
            logger.error("Deactivation of \(userID): could not list the rooms to leave: \(error)")
            return
        }
        for roomID in roomIDs {
            do {
                try await rooms.leave(userID: userID, roomID: roomID)
            } catch {
                logger.warning("Deactivation of \(userID): could not leave \(roomID): \(error)")
            }
        }
    }
}
