public import KeyportStore
public import MatrixRooms

/// State resolution's events from the store: stored PDUs parsed in the room's version (with their
/// stored IDs), and the store's record of rejected events. Auth chains are walked by the default
/// implementation, which follows v12's implied create event as Synapse does.
public struct StoreResolutionSource: StateResolutionSource {
    let store: any RoomStore
    let version: RoomVersion

    public init(store: any RoomStore, version: RoomVersion) {
        self.store = store
        self.version = version
    }

    public func events(_ ids: Set<String>) async throws -> [String: PDU] {
        var parsed: [String: PDU] = [:]
        for (id, event) in try await store.events(ids) {
            // An event that no longer parses (a bug elsewhere) is left out, as unknown events are.
            if let pdu = try? event.parsedPDU(version: version) { parsed[id] = pdu }
        }
        return parsed
    }

    public func rejectedEvents(among ids: Set<String>) async throws -> Set<String> {
        try await store.rejectedEvents(among: ids)
    }
}
