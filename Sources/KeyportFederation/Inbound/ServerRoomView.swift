import KeyportStore
import MatrixModel
import MatrixRooms

/// What one server may see of a room: whether it is in the room (a user of it joined) now or at
/// an event, and each event in full or redacted by the history visibility at the event.
///
/// "At an event" is the state the store records after it, as Synapse's visibility reads the state
/// group of the event: a member event counts itself, an `m.room.history_visibility` event applies
/// to itself. Outliers have no recorded state: they are readable, as in Synapse.
struct ServerRoomView: Sendable {
    let store: any RoomStore
    /// The server asking.
    let server: String
    let version: RoomVersion

    /// True if a user of the server is joined in the room's current state.
    func isJoinedNow(roomID: String) async throws -> Bool {
        try await store.currentState(roomID: roomID).contains { event in
            event.type == EventType.member && belongsToServer(event.stateKey)
                && event.content["membership"]?.stringValue == "join"
        }
    }

    /// True if a user of the server is joined in the state after `event`.
    func isJoined(at event: RoomEvent) async throws -> Bool {
        guard let state = try await store.stateAfter(eventID: event.eventID) else { return false }
        return try await memberships(in: state).contains("join")
    }

    /// The event as the server may have it: the stored PDU unchanged, or its redacted form (the
    /// room version's rules) when the history visibility at the event hides it from the server.
    func served(_ event: RoomEvent) async throws -> JSONObject {
        guard try await mayRead(event) else { return Redaction.redact(event.pdu, rules: version.redactionRules) }
        return event.pdu
    }

    /// Whether the server may read the event in full.
    func mayRead(_ event: RoomEvent) async throws -> Bool {
        guard let state = try await store.stateAfter(eventID: event.eventID) else { return true }
        var setting = HistoryVisibility.shared
        if let id = state[RoomStateKey(EventType.historyVisibility, "")] {
            setting = HistoryVisibility(content: try await store.events([id])[id]?.content)
        }
        switch setting {
        case .invited, .joined: return setting.allowsServer(withMemberships: try await memberships(in: state))
        case .worldReadable, .shared, .other: return true
        }
    }

    /// The memberships of the server's users in a state.
    private func memberships(in state: RoomStateIDs) async throws -> [String] {
        let ids = state.filter { $0.key.type == EventType.member && belongsToServer($0.key.stateKey) }.values
        return try await store.events(Set(ids)).values.compactMap { $0.content["membership"]?.stringValue }
    }

    /// True if a state key is a user ID of the server: what follows its first colon is the server's
    /// name (as Synapse reads it, so user IDs of older grammars count too).
    private func belongsToServer(_ stateKey: String?) -> Bool {
        guard let stateKey, let colon = stateKey.firstIndex(of: ":") else { return false }
        return stateKey[stateKey.index(after: colon)...] == server
    }
}
