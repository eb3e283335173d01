public import KeyportStore

/// Tells the notifier whom a committed write concerns.
public struct ChangeNotifications: Sendable {
    let store: any StreamStore
    public let notifier: SyncNotifier
    /// Wakes the federation sender: device-list changes and remote to-device messages go out.
    public let outbound: OutboundSignal

    public init(store: any StreamStore, notifier: SyncNotifier, outbound: OutboundSignal = OutboundSignal()) {
        self.store = store
        self.notifier = notifier
        self.outbound = outbound
    }

    /// A user's devices, keys or cross-signing changed: they and everyone sharing a room hear of it.
    public func deviceListChanged(of userID: String) async throws {
        var users = try await store.usersSharingRoom(with: userID)
        users.insert(userID)
        await notifier.notify(users)
        await outbound.signal()
    }

    /// Something arrived for these users (to-device messages, room events, invites).
    public func wake(_ userIDs: [String]) async {
        await notifier.notify(userIDs)
    }
}
