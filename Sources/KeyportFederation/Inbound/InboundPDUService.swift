public import KeyportServices
public import KeyportStore
public import Logging
public import MatrixModel
import MatrixRooms
import MatrixSigning

/// The PDUs of a `PUT /send` transaction, each through the spec's checks on receipt
/// (https://spec.matrix.org/latest/server-server-api/#checks-performed-on-receipt-of-a-pdu):
/// format for the room's version; the signatures of the sender's server; the content hash (an
/// altered event is kept redacted); the auth events named, fetched with `/event_auth` when unknown
/// (check 4, else rejected); the state before the event, with unknown prev events fetched with
/// `/get_missing_events` and remaining gaps filled from `/state_ids` and `/event` (check 5, else
/// rejected); the current state (check 6, else soft-failed). Each PDU gets its own result; one bad
/// PDU never fails the others or the transaction.
public struct InboundPDUService: Sendable {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let writer: RoomGraphWriter
    let rooms: RoomFederationClient
    let keys: ServerKeyRing
    let notifications: ChangeNotifications
    let logger: Logger

    /// The most events fetched to fill the gaps before one received PDU.
    static let maxFetchedPerPDU = 200

    public init(
        store: any KeyportStorage, identity: ServerIdentity, rooms: RoomFederationClient, keys: ServerKeyRing,
        notifications: ChangeNotifications, logger: Logger
    ) {
        self.store = store
        self.identity = identity
        self.writer = RoomGraphWriter(store: store)
        self.rooms = rooms
        self.keys = keys
        self.notifications = notifications
        self.logger = logger
    }

    /// Why a PDU was not taken into its room.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// Receives one PDU of a transaction from `origin`: its event ID and nil when it was taken in
    /// (accepted, soft-failed or rejected by the auth rules, which the spec counts as received),
    /// or the reason it was dropped.
    public func receive(_ object: JSONObject, origin: String) async -> (eventID: String?, error: String?) {
        do {
            let pdu = try await take(object, origin: origin, fetchMissing: true)
            return (pdu.eventID, nil)
        } catch let refusal as Refusal {
            logger.info("dropped a PDU", metadata: ["origin": "\(origin)", "reason": "\(refusal.reason)"])
            return (Self.claimedEventID(object), refusal.reason)
        } catch {
            logger.error("failed to take a PDU", metadata: ["origin": "\(origin)", "error": "\(error)"])
            return (Self.claimedEventID(object), "The event could not be processed")
        }
    }

    /// The event ID a PDU we could not parse claims to have, to name it in the answer.
    static func claimedEventID(_ object: JSONObject) -> String? { object["event_id"]?.stringValue }

    // MARK: - The checks

    /// Runs every check on a PDU and stores it with the verdict; returns it as stored.
    @discardableResult
    func take(_ object: JSONObject, origin: String, fetchMissing: Bool) async throws -> PDU {
        let (pdu, version) = try await verified(object)
        if let known = try await store.events([pdu.eventID])[pdu.eventID], !known.outlier { return pdu }
        var budget = Self.maxFetchedPerPDU
        try await fetchAuthEvents(of: pdu, version: version, origin: origin, budget: &budget)

        // Check 4: the auth events it names.
        var authIDs = Set(pdu.authEvents)
        if version.roomIDIsCreateEventHash, pdu.type != EventType.create {
            authIDs.insert("$" + pdu.roomID.dropFirst())
        }
        let authEvents = try await parsed(authIDs, version: version)
        // Auth events no one could give are a reason to drop the event, not to reject it: it may
        // be fine, this server just cannot tell yet.
        let unknown = authIDs.subtracting(authEvents.keys)
        guard unknown.isEmpty else { throw Refusal("its auth events \(unknown.sorted()) are unknown") }
        let rejected = try await store.rejectedEvents(among: authIDs)
        let byAuthEvents = PDUChecks.againstAuthEvents(pdu, authEvents: authEvents, rejected: rejected)
        guard byAuthEvents.isAllowed else {
            try await writer.write(pdu, verdict: .rejected("\(byAuthEvents)"), stateBefore: nil, version: version)
            return pdu
        }

        // Check 5: the state before it.
        if fetchMissing { try await fetchMissingPrevEvents(of: pdu, origin: origin) }
        let stateBefore = try await stateBefore(pdu, version: version, origin: origin, budget: &budget)
        let byState = PDUChecks.againstState(pdu, state: try await stateEvents(stateBefore, version: version))
        guard byState.isAllowed else {
            try await writer.write(pdu, verdict: .rejected("\(byState)"), stateBefore: nil, version: version)
            return pdu
        }

        // Check 6: the current state.
        let current = try await writer.currentStateMap(pdu.roomID)
        let soft = PDUChecks.softFailCheck(pdu, currentState: try await stateEvents(current, version: version))
        try await writer.write(
            pdu, verdict: soft.isAllowed ? .accepted : .softFailed, stateBefore: stateBefore, version: version)
        if soft.isAllowed { await wakeMembers(of: pdu) }
        return pdu
    }

    /// The PDU parsed in its room's version, with the sender's server's signature checked and the
    /// content hash compared (an altered event is taken redacted, as the spec says).
    /// `room` names the room of an event that carries no `room_id` (a v12 create event, whose
    /// hash makes the room ID).
    func verified(_ object: JSONObject, room: String? = nil) async throws -> (PDU, RoomVersion) {
        guard let roomID = object["room_id"]?.stringValue ?? room else { throw Refusal("the event has no room_id") }
        guard let name = try await store.roomVersion(roomID: roomID), let version = RoomVersion.named(name) else {
            throw Refusal("this server is not in the room \(roomID)")
        }
        return (try await verified(object, version: version), version)
    }

    /// The PDU parsed in `version`, with the signatures of the servers that must sign it checked
    /// (keys valid at its `origin_server_ts`) and the content hash compared: an altered event is
    /// taken redacted, as the spec says.
    func verified(_ object: JSONObject, version: RoomVersion) async throws -> PDU {
        var pdu: PDU
        do {
            pdu = try PDU(parsing: object, roomVersion: version)
        } catch {
            throw Refusal("the event is malformed: \(error.reason)")
        }
        var publicKeys: [String: String] = [:]
        for server in PDUSigning.requiredSigners(of: pdu) {
            for keyID in pdu.object["signatures"]?[server]?.objectValue?.keys ?? [] where keyID.hasPrefix("ed25519:") {
                let key: String?
                if server == identity.serverName.rawValue {
                    key = keyID == identity.signingKey.keyID ? identity.signingKey.publicKeyBase64 : nil
                } else {
                    key = await keys.key(serverName: server, keyID: keyID, validAt: pdu.originServerTS)
                }
                if let key { publicKeys["\(server) \(keyID)"] = key }
            }
        }
        if let failure = PDUSigning.firstSignatureFailure(pdu, publicKey: { publicKeys["\($0) \($1)"] }) {
            throw Refusal("the signature of \(failure.server) does not verify: \(failure.check)")
        }
        if !EventHashes.contentHashMatches(pdu.object) {
            do {
                pdu = try PDU(
                    parsing: Redaction.redact(pdu.object, rules: version.redactionRules), roomVersion: version)
            } catch {
                throw Refusal("the event's content hash is wrong and its redacted form is malformed")
            }
        }
        return pdu
    }

    /// Fetches and stores (as outliers, each checked against its own auth events) the auth events
    /// of `pdu` this server does not have, from `/event_auth`.
    func fetchAuthEvents(of pdu: PDU, version: RoomVersion, origin: String, budget: inout Int) async throws {
        var wanted = Set(pdu.authEvents)
        if version.roomIDIsCreateEventHash, pdu.type != EventType.create { wanted.insert("$" + pdu.roomID.dropFirst()) }
        let known = Set(try await store.events(wanted).keys)
        guard !wanted.subtracting(known).isEmpty else { return }
        let chain: [JSONObject]
        do {
            chain = try await rooms.eventAuth(origin, roomID: pdu.roomID, eventID: pdu.eventID)
        } catch {
            throw Refusal("its auth events are unknown and \(origin) did not give them: \(error)")
        }
        try await storeOutliers(chain, version: version, roomID: pdu.roomID, budget: &budget)
    }

    /// Stores events as outliers, oldest first, each checked by its signatures and against its own
    /// auth events (rejected if they do not allow it). Events of another room are ignored.
    func storeOutliers(_ objects: [JSONObject], version: RoomVersion, roomID: String, budget: inout Int) async throws {
        var pdus: [PDU] = []
        for object in objects.prefix(max(0, budget)) {
            guard let (pdu, _) = try? await verified(object, room: roomID), pdu.roomID == roomID else { continue }
            pdus.append(pdu)
        }
        budget -= pdus.count
        let known = Set(try await store.events(Set(pdus.map(\.eventID))).keys)
        for pdu in Self.authOrder(pdus) where !known.contains(pdu.eventID) {
            var authIDs = Set(pdu.authEvents)
            if version.roomIDIsCreateEventHash, pdu.type != EventType.create {
                authIDs.insert("$" + pdu.roomID.dropFirst())
            }
            let decision = PDUChecks.againstAuthEvents(
                pdu, authEvents: try await parsed(authIDs, version: version),
                rejected: try await store.rejectedEvents(among: authIDs))
            try await writer.write(
                pdu, verdict: decision.isAllowed ? .outlier : .rejected("\(decision)"), stateBefore: nil,
                version: version)
        }
    }

    /// Events ordered so each comes after the events of the list it names as auth events.
    static func authOrder(_ pdus: [PDU]) -> [PDU] {
        let byID = Dictionary(pdus.map { ($0.eventID, $0) }, uniquingKeysWith: { first, _ in first })
        var placed = Set<String>()
        var ordered: [PDU] = []
        func place(_ pdu: PDU, depth: Int) {
            guard depth < 1_000, !placed.contains(pdu.eventID) else { return }
            for id in pdu.authEvents { if let parent = byID[id] { place(parent, depth: depth + 1) } }
            if placed.insert(pdu.eventID).inserted { ordered.append(pdu) }
        }
        for pdu in pdus.sorted(by: { ($0.depth, $0.eventID) < ($1.depth, $1.eventID) }) { place(pdu, depth: 0) }
        return ordered
    }

    /// Asks `origin` for the events between the room's forward extremities and `pdu`'s unknown prev
    /// events, and takes them oldest first (without asking further for theirs).
    func fetchMissingPrevEvents(of pdu: PDU, origin: String) async throws {
        let known = Set(try await store.events(Set(pdu.prevEvents)).filter { !$0.value.outlier }.keys)
        guard !Set(pdu.prevEvents).subtracting(known).isEmpty else { return }
        let extremities = try await store.forwardExtremities(roomID: pdu.roomID)
        let depths = try await store.events(extremities).values.map(\.depth)
        let missing: [JSONObject]
        do {
            missing = try await rooms.missingEvents(
                origin, roomID: pdu.roomID, earliestEvents: Array(extremities).sorted(), latestEvents: [pdu.eventID],
                limit: 10, minDepth: depths.min() ?? 0)
        } catch {
            logger.info(
                "get_missing_events failed; filling the gap from the state instead",
                metadata: ["origin": "\(origin)", "error": "\(error)"])
            return
        }
        let ordered = missing.sorted { ($0["depth"]?.intValue ?? 0) < ($1["depth"]?.intValue ?? 0) }
        for object in ordered {
            do {
                try await take(object, origin: origin, fetchMissing: false)
            } catch let refusal as Refusal {
                logger.info("dropped a missing event", metadata: ["reason": "\(refusal.reason)"])
            }
        }
    }

    /// The state before `pdu`: resolved from the states after its prev events; a prev event this
    /// server has no state for is fetched with its state (`/state_ids`, `/event`) and stored as
    /// outliers.
    func stateBefore(_ pdu: PDU, version: RoomVersion, origin: String, budget: inout Int) async throws -> StateMap {
        var sets: [StateMap] = []
        for prev in pdu.prevEvents {
            if let state = try await store.stateAfter(eventID: prev) {
                sets.append(RoomGraphWriter.stateMap(state))
            } else {
                sets.append(
                    try await fetchStateAfter(
                        prev, roomID: pdu.roomID, version: version, origin: origin, budget: &budget))
            }
        }
        if pdu.prevEvents.isEmpty { return [:] }
        return try await writer.resolve(sets, version: version)
    }

    /// The state after a prev event this server has no state for, from `origin`.
    func fetchStateAfter(
        _ eventID: String, roomID: String, version: RoomVersion, origin: String, budget: inout Int
    ) async throws -> StateMap {
        let ids: RoomStateIDsAnswer
        do {
            ids = try await rooms.stateIDs(origin, roomID: roomID, at: eventID)
        } catch {
            throw Refusal("the state before prev event \(eventID) is unknown and \(origin) did not give it: \(error)")
        }
        let wanted = Set(ids.pduIDs + ids.authChainIDs + [eventID])
        let known = Set(try await store.events(wanted).keys)
        let missing = wanted.subtracting(known)
        guard missing.count <= budget else {
            throw Refusal("filling the gap before \(eventID) needs more than \(budget) events")
        }
        var fetched: [JSONObject] = []
        for id in missing.sorted() {
            if let object = try? await rooms.event(origin, eventID: id) { fetched.append(object) }
        }
        try await storeOutliers(fetched, version: version, roomID: roomID, budget: &budget)
        var state: StateMap = [:]
        let events = try await parsed(Set(ids.pduIDs + [eventID]), version: version)
        for id in ids.pduIDs {
            if let event = events[id], let key = event.stateMapKey { state[key] = id }
        }
        guard let prev = events[eventID] else { throw Refusal("prev event \(eventID) could not be fetched") }
        if let key = prev.stateMapKey { state[key] = eventID }
        return state
    }

    /// Stored events parsed in the room's version.
    func parsed(_ ids: Set<String>, version: RoomVersion) async throws -> [String: PDU] {
        try await StoreResolutionSource(store: store, version: version).events(ids)
    }

    /// The events of a state map, parsed.
    func stateEvents(_ state: StateMap, version: RoomVersion) async throws -> [StateKey: PDU] {
        let events = try await parsed(Set(state.values), version: version)
        var result: [StateKey: PDU] = [:]
        for (key, id) in state { result[key] = events[id] }
        return result
    }

    /// Wakes the room's local members (and a local user a member event is about).
    func wakeMembers(of pdu: PDU) async {
        var users = (try? await store.joinedMembers(roomID: pdu.roomID)) ?? []
        if let target = pdu.stateKey, pdu.type == EventType.member { users.append(target) }
        await notifications.wake(users.filter { identity.isLocal($0) })
        if pdu.type == EventType.member { await notifications.outboundQueued() }
    }
}
