import KeyportStore
import MatrixModel
import MatrixRooms

extension RoomService {
    /// An event this server's user asks for, before it becomes a PDU.
    struct LocalDraft {
        var type: String
        var stateKey: String?
        var sender: String
        var content: JSONObject
        var transaction: ClientTransaction?
        /// When the event was sent; now unless given (a rebuilt legacy event keeps its time).
        var originServerTS: Int64?
    }

    /// The room state the next local event is built on: event IDs by key and the parsed events.
    struct WorkingState {
        var ids: StateMap = [:]
        var events: [StateKey: PDU] = [:]

        mutating func apply(_ pdu: PDU) {
            guard let key = pdu.stateMapKey else { return }
            ids[key] = pdu.eventID
            events[key] = pdu
        }
    }

    /// How many times a local write is computed again when other writers keep moving the room's
    /// forward extremities.
    static let localWriteAttempts = 16

    /// Builds this server's events on the room's current state, checks each against the auth rules
    /// (refused with `M_FORBIDDEN` and the rule's reason), and stores them as one update on the
    /// forward extremities they were built on.
    func appendLocal(_ drafts: [LocalDraft], roomID: String) async throws -> [RoomEvent] {
        guard let name = try await store.roomVersion(roomID: roomID), let version = RoomVersion.named(name) else {
            throw MatrixError.notFound("Unknown room \(roomID)")
        }
        return try await roomWrites.run(roomID) {
            try await appendLocal(drafts, roomID: roomID, version: version)
        }
    }

    private func appendLocal(_ drafts: [LocalDraft], roomID: String, version: RoomVersion) async throws
        -> [RoomEvent]
    {
        for attempt in 0..<Self.localWriteAttempts {
            if attempt > 0 {
                // Another process wrote to the room meanwhile: back off a little, at random.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...10) * attempt))
            }
            let extremities = try await store.forwardExtremities(roomID: roomID)
            let (prevs, depth) = try await RoomGraphWriter(store: store).newEventBase(extremities: extremities)
            var state = WorkingState()
            for event in try await store.currentState(roomID: roomID) {
                state.apply(try event.parsedPDU(version: version))
            }
            let base = try await stateBase(prevs: prevs, current: state.ids)
            let pdus = try build(
                drafts, roomID: roomID, version: version, state: &state, prevEvents: prevs, depth: depth)
            let writes = Self.writes(pdus, drafts: drafts, base: base)
            var after = extremities.subtracting(prevs)
            if let last = pdus.last { after.insert(last.eventID) }
            let sendTo = try await destinations(
                roomID: roomID, memberTargets: drafts.filter { $0.type == "m.room.member" }.compactMap(\.stateKey))
            let update = RoomUpdate(
                roomID: roomID, events: writes, expectedExtremities: extremities, extremities: after,
                currentState: Self.stateChanges(pdus), sendTo: sendTo, queuedAt: clock.now())
            do {
                return try await store.applyRoomUpdate(update)
            } catch StoreError.conflict {
                continue
            }
        }
        throw MatrixError(status: 503, errcode: "M_UNKNOWN", "The room is too busy; try again")
    }

    /// The base of the first new event's state: the state after its first prev event, with the
    /// differences of the room's current state when several prev events were merged.
    private func stateBase(prevs: [String], current: StateMap) async throws -> (RoomStateBase, [RoomStateKey: String?])
    {
        guard let first = prevs.first else { return (.empty, [:]) }
        guard prevs.count > 1, let firstState = try await store.stateAfter(eventID: first) else {
            return (.afterEvent(first), [:])
        }
        var changes: [RoomStateKey: String?] = [:]
        for (key, id) in current where firstState[RoomStateKey(key)] != id { changes[RoomStateKey(key)] = id }
        for key in firstState.keys where current[key.stateKeyValue] == nil { changes[key] = String?.none }
        return (.afterEvent(first), changes)
    }

    /// Turns drafts into PDUs one after another, each on the state the ones before it made.
    func build(
        _ drafts: [LocalDraft], roomID: String?, version: RoomVersion, state: inout WorkingState,
        prevEvents: [String], depth: Int64
    ) throws -> [PDU] {
        var pdus: [PDU] = []
        var prev = prevEvents
        var room = roomID
        var depth = depth
        for draft in drafts {
            let pdu: PDU
            do {
                pdu = try PDUBuilder.build(
                    EventDraft(
                        type: draft.type, stateKey: draft.stateKey, sender: draft.sender, content: draft.content,
                        roomID: room, originServerTS: draft.originServerTS ?? clock.now(), prevEvents: prev,
                        depth: depth),
                    version: version, state: state.ids, serverName: identity.serverName.rawValue,
                    key: identity.signingKey)
            } catch {
                throw MatrixError.badJSON("The event is not valid: \(error.reason)")
            }
            let decision = PDUChecks.againstState(pdu, state: state.events)
            guard decision.isAllowed else {
                throw MatrixError.forbidden("The room's rules do not allow this event: \(decision)")
            }
            state.apply(pdu)
            pdus.append(pdu)
            room = pdu.roomID
            prev = [pdu.eventID]
            depth += 1
        }
        return pdus
    }

    /// The writes for a chain of new PDUs: the first on `base`, each next on the one before.
    static func writes(_ pdus: [PDU], drafts: [LocalDraft], base: (RoomStateBase, [RoomStateKey: String?]))
        -> [RoomEventWrite]
    {
        var writes: [RoomEventWrite] = []
        var from = base.0
        var changes = base.1
        for (pdu, draft) in zip(pdus, drafts) {
            if let key = pdu.stateMapKey { changes[RoomStateKey(key)] = pdu.eventID }
            writes.append(
                RoomEventWrite(
                    RoomEvent(pdu, transaction: draft.transaction), stateAfter: .changed(from: from, changes: changes)))
            from = .afterEvent(pdu.eventID)
            changes = [:]
        }
        return writes
    }

    /// The current-state changes a chain of new PDUs makes.
    static func stateChanges(_ pdus: [PDU]) -> [RoomStateKey: String?] {
        var changes: [RoomStateKey: String?] = [:]
        for pdu in pdus { if let key = pdu.stateMapKey { changes[RoomStateKey(key)] = pdu.eventID } }
        return changes
    }
}

extension RoomService {
    /// Builds one event of this server's on the room's current state and checks it, without storing
    /// it: for an invite that the invitee's server must co-sign first. Returns the PDU, the state
    /// before it and the room's version.
    func prepareLocal(_ draft: LocalDraft, roomID: String) async throws -> (PDU, StateMap, RoomVersion) {
        guard let name = try await store.roomVersion(roomID: roomID), let version = RoomVersion.named(name) else {
            throw MatrixError.notFound("Unknown room \(roomID)")
        }
        let (prevs, depth) = try await RoomGraphWriter(store: store).newEventBase(
            extremities: try await store.forwardExtremities(roomID: roomID))
        var state = WorkingState()
        for event in try await store.currentState(roomID: roomID) {
            state.apply(try event.parsedPDU(version: version))
        }
        let before = state.ids
        let pdus = try build([draft], roomID: roomID, version: version, state: &state, prevEvents: prevs, depth: depth)
        return (pdus[0], before, version)
    }
}
