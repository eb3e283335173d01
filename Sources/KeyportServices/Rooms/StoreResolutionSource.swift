public import KeyportStore
public import MatrixRooms

/// State resolution's events from the store: stored PDUs parsed in the room's version (with their
/// stored IDs), and the store's record of rejected events. Auth chains are walked by the default
/// implementation, which follows v12's implied create event as Synapse does.
public struct StoreResolutionSource: StateResolutionSource {
    let store: any RoomStore
    let version: RoomVersion
    /// Events not stored yet (the one being stored) that resolution must see.
    let unstored: [String: PDU]

    public init(store: any RoomStore, version: RoomVersion, including unstored: [PDU] = []) {
        self.store = store
        self.version = version
        self.unstored = Dictionary(unstored.map { ($0.eventID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func events(_ ids: Set<String>) async throws -> [String: PDU] {
        var parsed: [String: PDU] = [:]
        for id in ids { if let event = unstored[id] { parsed[id] = event } }
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
