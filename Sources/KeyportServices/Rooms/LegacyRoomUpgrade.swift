public import KeyportStore
public import Logging
import MatrixModel
import MatrixRooms

/// Rebuilds rooms stored before rooms were made of PDUs (a database from before issue 11): every
/// event becomes a PDU of this server, hashed and signed, in the order the room stream had, with
/// its sender, content, time and client transaction. Nothing is dropped: an event today's auth
/// rules refuse is kept as a rejected event, out of the timeline, and logged.
///
/// Event IDs change (they are reference hashes now); room IDs, memberships and current state do
/// not. Rooms of versions 10 and 11 keep their version; rooms of earlier versions, which Keyport no
/// longer supports, become version 10, the closest (their create event says so).
public struct LegacyRoomUpgrade: Sendable {
    let store: any RoomStore
    let identity: ServerIdentity
    let logger: Logger

    public init(store: any RoomStore, identity: ServerIdentity, logger: Logger) {
        self.store = store
        self.identity = identity
        self.logger = logger
    }

    /// What one room became.
    public struct Outcome: Sendable, Equatable {
        public var roomID: String
        public var version: String
        public var events: Int
        public var rejected: Int

        public init(roomID: String, version: String, events: Int, rejected: Int) {
            self.roomID = roomID
            self.version = version
            self.events = events
            self.rejected = rejected
        }
    }

    /// Rebuilds every legacy room; returns what each became.
    @discardableResult
    public func run() async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for roomID in try await store.legacyRooms() {
            let outcome = try await rebuild(roomID)
            logger.notice(
                "Rebuilt a room stored before rooms were made of PDUs",
                metadata: [
                    "room_id": "\(roomID)", "room_version": "\(outcome.version)", "events": "\(outcome.events)",
                    "rejected": "\(outcome.rejected)",
                ])
            if outcome.rejected > 0 {
                logger.warning(
                    "Some events of a rebuilt room break today's auth rules: kept as rejected, out of the timeline",
                    metadata: ["room_id": "\(roomID)", "rejected": "\(outcome.rejected)"])
            }
            outcomes.append(outcome)
        }
        return outcomes
    }

    func rebuild(_ roomID: String) async throws -> Outcome {
        let old = try await store.roomEvents(roomID: roomID, after: 0, upTo: .max, limit: .max)
        let declared = old.first { $0.type == EventType.create }?.content["room_version"]?.stringValue
        let version = declared.flatMap(RoomVersion.named) ?? .v10
        var state = RoomService.WorkingState()
        var writes: [RoomEventWrite] = []
        var current: [RoomStateKey: String?] = [:]
        var prev: [String] = []
        var base: RoomStateBase = .empty
        var rejected = 0
        for (index, event) in old.enumerated() {
            var content = event.content
            if event.type == EventType.create, event.stateKey == "" {
                content["room_version"] = .string(version.identifier)
                if !version.creatorIsCreateSender, content["creator"] == nil {
                    content["creator"] = .string(event.sender)
                }
            }
            let pdu = try PDUBuilder.build(
                EventDraft(
                    type: event.type, stateKey: event.stateKey, sender: event.sender, content: content,
                    roomID: roomID, originServerTS: event.originServerTS, prevEvents: prev, depth: Int64(index + 1)),
                version: version, state: state.ids, serverName: identity.serverName.rawValue,
                key: identity.signingKey)
            let decision = PDUChecks.againstState(pdu, state: state.events)
            if decision.isAllowed {
                var changes: [RoomStateKey: String?] = [:]
                if let key = pdu.stateMapKey {
                    changes[RoomStateKey(key)] = pdu.eventID
                    current[RoomStateKey(key)] = pdu.eventID
                }
                state.apply(pdu)
                writes.append(
                    RoomEventWrite(
                        RoomEvent(pdu, transaction: event.transaction),
                        stateAfter: .changed(from: base, changes: changes)
                    ))
                base = .afterEvent(pdu.eventID)
                prev = [pdu.eventID]
            } else {
                rejected += 1
                writes.append(
                    RoomEventWrite(
                        RoomEvent(pdu, transaction: event.transaction, rejectedReason: "\(decision)"), stateAfter: .none
                    ))
            }
        }
        // Keys the old state had that the rebuilt one lacks (only rejected events set them) go.
        for event in try await store.currentState(roomID: roomID) {
            let key = RoomStateKey(event.type, event.stateKey ?? "")
            if current[key] == nil { current[key] = String?.none }
        }
        _ = try await store.replaceLegacyRoom(
            RoomUpdate(
                roomID: roomID, events: writes, expectedExtremities: [], extremities: Set(prev),
                currentState: current),
            version: version.identifier)
        return Outcome(roomID: roomID, version: version.identifier, events: writes.count, rejected: rejected)
    }
}
