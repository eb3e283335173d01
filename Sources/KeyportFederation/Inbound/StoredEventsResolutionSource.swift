import KeyportServices
import KeyportStore
import MatrixRooms

/// State resolution's events from the room store: stored PDUs parsed in the room's version (with
/// their stored IDs) and the store's rejections. Auth chains are walked by the protocol's default
/// from the events, which adds v12's implied create event (the store's walk follows only the
/// `auth_events` listed).
struct StoredEventsResolutionSource: StateResolutionSource {
    let store: any RoomStore
    let version: RoomVersion

    func events(_ ids: Set<String>) async throws -> [String: PDU] {
        var pdus: [String: PDU] = [:]
        for (id, event) in try await store.events(ids) {
            // A stored event that no longer parses is left out, as the source's contract allows.
            if let pdu = try? event.parsedPDU(version: version) { pdus[id] = pdu }
        }
        return pdus
    }

    func rejectedEvents(among ids: Set<String>) async throws -> Set<String> {
        try await store.rejectedEvents(among: ids)
    }
}
