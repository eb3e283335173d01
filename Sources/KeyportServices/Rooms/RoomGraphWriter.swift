public import KeyportStore
import MatrixModel
public import MatrixRooms

/// Stores events that reached a room from anywhere but this server's own authoring — another
/// server's PDUs, the state a join brings — with what the checks decided, and keeps the room's
/// forward extremities and current state true to the DAG: the current state is the state after
/// the only extremity, or the resolution of the states after all of them.
public struct RoomGraphWriter: Sendable {
    let store: any RoomStore

    public init(store: any RoomStore) {
        self.store = store
    }

    /// What the checks decided about an event.
    public enum Verdict: Sendable, Equatable {
        case accepted
        /// Allowed by its auth events and the state before it, refused by the current state.
        case softFailed
        case rejected(String)
        /// Known only as an auth or state event (a join's state, a fetched auth event).
        case outlier
    }

    /// The state before an event: the state after its only prev event, or the resolution of the
    /// states after its prev events. Nil when a prev event has no recorded state.
    public func stateBefore(prevEvents: [String], version: RoomVersion) async throws -> StateMap? {
        var sets: [StateMap] = []
        for id in prevEvents {
            guard let state = try await store.stateAfter(eventID: id) else { return nil }
            sets.append(Self.stateMap(state))
        }
        return try await resolve(sets, version: version)
    }

    /// The resolution of state sets (one set is its own resolution). `including` are events the
    /// sets may name that are not stored yet.
    public func resolve(_ sets: [StateMap], version: RoomVersion, including: [PDU] = []) async throws -> StateMap {
        guard let first = sets.first else { return [:] }
        if sets.count == 1 || sets.allSatisfy({ $0 == first }) { return first }
        return try await StateResolver.resolve(
            version: version, stateSets: sets,
            source: StoreResolutionSource(store: store, version: version, including: including))
    }

    /// Stores one event with its verdict. `stateBefore` is the state the checks used (nil for an
    /// outlier or a rejected event, whose state is not recorded). Returns the stored event.
    @discardableResult
    /// `sendTo` are other servers the event is queued for in the same transaction.
    public func write(
        _ pdu: PDU, verdict: Verdict, stateBefore: StateMap?, version: RoomVersion,
        transaction: ClientTransaction? = nil, sendTo: Set<String> = [], now: Int64 = 0
    ) async throws -> RoomEvent {
        var event = RoomEvent(pdu, transaction: transaction)
        var stateAfter: StateMap?
        switch verdict {
        case .accepted, .softFailed:
            event.softFailed = verdict == .softFailed
            var after = stateBefore ?? [:]
            if let key = pdu.stateMapKey { after[key] = pdu.eventID }
            stateAfter = after
        case .rejected(let reason):
            event.rejectedReason = reason
        case .outlier:
            event.outlier = true
        }
        while true {
            let extremities = try await store.forwardExtremities(roomID: pdu.roomID)
            var newExtremities = extremities
            var recorded: RoomStateAfter = .none
            if let stateAfter {
                recorded = try await Self.recorded(stateAfter, prevEvents: pdu.prevEvents, store: store)
            }
            if verdict == .accepted {
                newExtremities.subtract(pdu.prevEvents)
                newExtremities.insert(pdu.eventID)
            }
            var currentChanges: [RoomStateKey: String?] = [:]
            if newExtremities != extremities {
                let current = try await currentStateMap(pdu.roomID)
                var sets: [StateMap] = []
                for id in newExtremities.sorted() {
                    if id == pdu.eventID, let stateAfter {
                        sets.append(stateAfter)
                    } else if let state = try await store.stateAfter(eventID: id) {
                        sets.append(Self.stateMap(state))
                    }
                }
                // The event itself is not stored yet: resolution sees it beside the store's events.
                let resolved = try await resolve(sets, version: version, including: [pdu])
                for (key, id) in resolved where current[key] != id { currentChanges[RoomStateKey(key)] = id }
                for key in current.keys where resolved[key] == nil { currentChanges[RoomStateKey(key)] = String?.none }
            }
            let update = RoomUpdate(
                roomID: pdu.roomID, events: [RoomEventWrite(event, stateAfter: recorded)],
                expectedExtremities: extremities, extremities: newExtremities, currentState: currentChanges,
                sendTo: sendTo, queuedAt: now)
            do {
                return try await store.applyRoomUpdate(update)[0]
            } catch StoreError.conflict {
                continue
            }
        }
    }

    /// What a new event of the room is built on: the newest of the forward extremities (by depth,
    /// at most the 20 a PDU may name) and the depth after theirs.
    public func newEventBase(extremities: Set<String>) async throws -> (prevEvents: [String], depth: Int64) {
        let tips = try await store.events(extremities).values.sorted {
            ($0.depth, $0.eventID) > ($1.depth, $1.eventID)
        }.prefix(PDU.maxPrevEvents)
        return (tips.map(\.eventID), (tips.map(\.depth).max() ?? 0) + 1)
    }

    /// The room's current state as event IDs by key.
    public func currentStateMap(_ roomID: String) async throws -> StateMap {
        var state: StateMap = [:]
        for event in try await store.currentState(roomID: roomID) {
            state[StateKey(event.type, event.stateKey ?? "")] = event.eventID
        }
        return state
    }

    public static func stateMap(_ ids: RoomStateIDs) -> StateMap {
        var map: StateMap = [:]
        for (key, id) in ids { map[key.stateKeyValue] = id }
        return map
    }

    /// `state` as a change from the state after the first prev event that has one recorded, or from
    /// nothing.
    static func recorded(_ state: StateMap, prevEvents: [String], store: any RoomStore) async throws
        -> RoomStateAfter
    {
        for prev in prevEvents {
            guard let base = try await store.stateAfter(eventID: prev) else { continue }
            var changes: [RoomStateKey: String?] = [:]
            for (key, id) in state where base[RoomStateKey(key)] != id { changes[RoomStateKey(key)] = id }
            for key in base.keys where state[key.stateKeyValue] == nil { changes[key] = String?.none }
            return .changed(from: .afterEvent(prev), changes: changes)
        }
        var changes: [RoomStateKey: String?] = [:]
        for (key, id) in state { changes[RoomStateKey(key)] = id }
        return .changed(from: .empty, changes: changes)
    }
}
