import KeyportStore
public import MatrixModel

/// The room state before an event and its auth chain, as IDs or as PDUs.
public struct RoomStateAtEvent: Sendable {
    /// The state before the event, oldest first.
    public var pdus: [JSONObject]
    /// The auth events of the state, and theirs recursively, oldest first.
    public var authChain: [JSONObject]
    public var pduIDs: [String]
    public var authChainIDs: [String]
}

extension RoomEventQueryService {
    /// # `GET /_matrix/federation/v1/state_ids/{roomId}?event_id=…` and `GET /state/{roomId}?event_id=…`
    ///
    /// The state before the event (``StateBeforeEvent``) and its auth chain: the auth events of the
    /// state events and theirs, recursively (``authChain(below:version:)``), which holds a state
    /// event only when another names it (Synapse's `get_auth_chain_ids` without the given events). 404 when the store records no
    /// state at the event (an outlier), as in Synapse. Served in full: state is not filtered by
    /// history visibility, as in Synapse.
    public func state(roomID: String, eventID: String, origin: String) async throws -> RoomStateAtEvent {
        let (view, event) = try await accessibleEvent(eventID, roomID: roomID, origin: origin)
        guard let before = try await StateBeforeEvent(store: store, version: view.version).state(before: event) else {
            throw MatrixError.notFound("The state at \(eventID) is not known")
        }
        let state = try await servableEvents(Set(before.values), roomID: roomID)
        let chain = try await servableEvents(
            try await authChain(below: state, version: view.version), roomID: roomID)
        return RoomStateAtEvent(
            pdus: state.map(\.pdu), authChain: chain.map(\.pdu), pduIDs: state.map(\.eventID),
            authChainIDs: chain.map(\.eventID))
    }
}
