public import KeyportStore

/// Tells the notifier whom a committed write concerns, in this process and, through the change
/// bus, in every other process on the same database.
public struct ChangeNotifications: Sendable {
    let store: any StreamStore
    public let notifier: SyncNotifier
    /// Wakes the federation sender: device-list changes and remote to-device messages go out.
    public let outbound: OutboundSignal
    /// Carries the same wake-ups to the other processes.
    public let bus: any ChangeBus
    /// Wakes the application-service sender: any room event, to-device message or device-list
    /// change may be of interest to a service, whoever it was for.
    public let appServices: OutboundSignal

    public init(
        store: any StreamStore, notifier: SyncNotifier, outbound: OutboundSignal = OutboundSignal(),
        bus: any ChangeBus = SingleProcessChangeBus(), appServices: OutboundSignal = OutboundSignal()
    ) {
        self.store = store
        self.notifier = notifier
        self.outbound = outbound
        self.bus = bus
        self.appServices = appServices
    }

    /// A user's devices, keys or cross-signing changed: they and everyone sharing a room hear of it.
    public func deviceListChanged(of userID: String) async throws {
        var users = try await store.usersSharingRoom(with: userID)
        users.insert(userID)
        await notifier.notify(users)
        await outbound.signal()
        await appServices.signal()
        await bus.publish(ChangeAnnouncement(users: users.sorted(), outbound: true))
    }

    /// Something arrived for these users (to-device messages, room events, invites).
    public func wake(_ userIDs: [String]) async {
        await notifier.notify(userIDs)
        await appServices.signal()
        await bus.publish(ChangeAnnouncement(users: userIDs, outbound: false))
    }

    /// EDUs were queued or memberships changed: every process's federation sender looks again.
    public func outboundQueued() async {
        await outbound.signal()
        await appServices.signal()
        await bus.publish(ChangeAnnouncement(users: [], outbound: true))
    }

    /// What another process announced, or `.resumed` when announcements may have been missed.
    public func heard(_ event: ChangeBusEvent) async {
        switch event {
        case .change(let announcement):
            if !announcement.users.isEmpty { await notifier.notify(announcement.users) }
            if announcement.outbound { await outbound.signal() }
            await appServices.signal()
        case .resumed:
            await notifier.notifyEveryone()
            await outbound.signal()
            await appServices.signal()
        }
    }
}
