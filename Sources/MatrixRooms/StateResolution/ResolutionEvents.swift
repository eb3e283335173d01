/// The events one resolution has loaded from its ``StateResolutionSource``.
///
/// Each step asks for everything it will need in one batch, so a store is queried a handful of
/// times rather than once per event. Events of another room are dropped on arrival: none may count
/// in this room's state, and Synapse refuses them too.
struct ResolutionEvents: Sendable {
    /// The room being resolved; `nil` when it could not be told, and then no event is dropped.
    let roomID: String?
    private var loaded: [String: PDU] = [:]
    private var unavailable: Set<String> = []
    private var rejected: Set<String> = []

    init(roomID: String?) {
        self.roomID = roomID
    }

    subscript(id: String) -> PDU? { loaded[id] }

    func isRejected(_ id: String) -> Bool { rejected.contains(id) }

    /// Fetches those of `ids` not yet asked for.
    mutating func load(_ ids: some Sequence<String>, from source: some StateResolutionSource) async throws {
        var wanted = Set<String>()
        for id in ids where loaded[id] == nil && !unavailable.contains(id) { wanted.insert(id) }
        guard !wanted.isEmpty else { return }
        var found = try await source.events(wanted)
        if let roomID {
            found = found.filter { $0.value.roomID == roomID }
        }
        unavailable.formUnion(wanted.subtracting(found.keys))
        loaded.merge(found) { _, new in new }
        if !found.isEmpty {
            rejected.formUnion(try await source.rejectedEvents(among: Set(found.keys)))
        }
    }

    /// Loads the auth events (with v12's implicit create event) of the loaded events among `ids`.
    mutating func loadAuthEvents(of ids: some Sequence<String>, from source: some StateResolutionSource) async throws {
        var needed = Set<String>()
        for id in ids {
            if let event = loaded[id] { needed.formUnion(event.authEventIDsIncludingCreate) }
        }
        try await load(needed, from: source)
    }

    /// The `m.room.power_levels` event among an event's auth events: the first listed, as Synapse
    /// and ruma take it when walking a mainline.
    func powerLevelsParent(of id: String) -> String? {
        guard let event = loaded[id] else { return nil }
        return event.authEventIDsIncludingCreate.first { loaded[$0]?.isPowerLevelsEvent == true }
    }
}
