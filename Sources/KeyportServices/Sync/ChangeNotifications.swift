public import KeyportStore

/// Tells the notifier whom a committed write concerns.
public struct ChangeNotifications: Sendable {
    let store: any StreamStore
    public let notifier: SyncNotifier

    public init(store: any StreamStore, notifier: SyncNotifier) {
        self.store = store
        self.notifier = notifier
    }

    /// A user's devices, keys or cross-signing changed: they and everyone sharing a room hear of it.
    public func deviceListChanged(of userID: String) async throws {
        var users = try await store.usersSharingRoom(with: userID)
        users.insert(userID)
        await notifier.notify(users)
    }

    /// Something arrived for these users (to-device messages, room events, invites).
    public func wake(_ userIDs: [String]) async {
        await notifier.notify(userIDs)
    }
}
