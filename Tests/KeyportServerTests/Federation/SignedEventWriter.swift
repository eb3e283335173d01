import Foundation
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import MatrixRooms
import MatrixSigning
import Testing

/// Writes PDUs signed by one server into a room of the server whose database is at
/// `databasePath`, as if they had arrived over federation (there is no inbound PDU path yet):
/// each is built on the state before it, checked by the auth rules and stored with the state after
/// it, the way `RoomService` stores its own.
struct SignedEventWriter: Sendable {
    let store: SQLiteStore
    let serverName: String
    let key: SigningKey

    init(databasePath: String, serverName: String, key: SigningKey) throws {
        store = try SQLiteStore(path: databasePath)
        self.serverName = serverName
        self.key = key
    }

    /// Builds, checks and stores an event. It goes on `prevEvents` (by default the room's forward
    /// extremities, which must then be one event), on `stateBefore` (by default the state after its
    /// only prev event); the forward extremities lose its prev events and gain it, and the current
    /// state takes its key and whatever `stateBefore` changes.
    @discardableResult
    func append(
        roomID: String, type: String, stateKey: String? = nil, sender: String, content: JSONObject,
        prevEvents: [String]? = nil, stateBefore: RoomStateIDs? = nil
    ) async throws -> PDU {
        let extremities = try await store.forwardExtremities(roomID: roomID)
        let prevs = prevEvents ?? extremities.sorted()
        let first = try #require(prevs.first)
        let firstState = try #require(try await store.stateAfter(eventID: first))
        try #require(stateBefore != nil || prevs.count == 1, "several prev events need the state before")
        let before = stateBefore ?? firstState
        let pdu = try await build(
            roomID: roomID, type: type, stateKey: stateKey, sender: sender, content: content, prevEvents: prevs,
            state: before)
        let states = try await store.events(Set(before.values))
        let version = try await version(of: roomID)
        var stateEvents: [StateKey: PDU] = [:]
        for event in states.values {
            let statePDU = try event.parsedPDU(version: version)
            stateEvents[try #require(statePDU.stateMapKey)] = statePDU
        }
        let decision = PDUChecks.againstState(pdu, state: stateEvents)
        try #require(decision.isAllowed, "the auth rules refuse \(pdu): \(decision)")

        var changes: [RoomStateKey: String?] = [:]
        for (key, id) in before where firstState[key] != id { changes[key] = id }
        for key in firstState.keys where before[key] == nil { changes[key] = String?.none }
        if let key = pdu.stateMapKey { changes[RoomStateKey(key)] = pdu.eventID }
        _ = try await store.applyRoomUpdate(
            RoomUpdate(
                roomID: roomID,
                events: [
                    RoomEventWrite(RoomEvent(pdu), stateAfter: .changed(from: .afterEvent(first), changes: changes))
                ],
                expectedExtremities: extremities, extremities: extremities.subtracting(prevs).union([pdu.eventID]),
                currentState: changes))
        return pdu
    }

    /// Builds a signed PDU on the given state, without checking or storing it.
    func build(
        roomID: String, type: String, stateKey: String? = nil, sender: String, content: JSONObject,
        prevEvents: [String], state: RoomStateIDs
    ) async throws -> PDU {
        let depth = try await store.events(Set(prevEvents)).values.map(\.depth).max() ?? 0
        return try PDUBuilder.build(
            EventDraft(
                type: type, stateKey: stateKey, sender: sender, content: content, roomID: roomID,
                originServerTS: Int64(Date().timeIntervalSince1970 * 1000), prevEvents: prevEvents, depth: depth + 1),
            version: try await version(of: roomID),
            state: StateMap(uniqueKeysWithValues: state.map { ($0.key.stateKeyValue, $0.value) }),
            serverName: serverName, key: key)
    }

    /// Stores a PDU outside the timeline, with no state: an outlier, or an event the rules rejected.
    func storeDetached(_ pdu: PDU, outlier: Bool = false, rejectedReason: String? = nil) async throws {
        let extremities = try await store.forwardExtremities(roomID: pdu.roomID)
        _ = try await store.applyRoomUpdate(
            RoomUpdate(
                roomID: pdu.roomID,
                events: [
                    RoomEventWrite(RoomEvent(pdu, outlier: outlier, rejectedReason: rejectedReason), stateAfter: .none)
                ],
                expectedExtremities: extremities, extremities: extremities, currentState: [:]))
    }

    func version(of roomID: String) async throws -> RoomVersion {
        let name = try #require(try await store.roomVersion(roomID: roomID))
        return try #require(RoomVersion.named(name))
    }
}
