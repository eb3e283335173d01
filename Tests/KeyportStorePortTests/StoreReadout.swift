import KeyportStore
import KeyportStoreConformance
import MatrixModel

/// Everything `PortFixture` wrote, read back through the store APIs only: one entry per question
/// asked, keyed by the question, answered as text that depends only on the value, so two
/// engines' answers compare entry by entry. Reads only: asking twice gives the same answers.
enum StoreReadout {
    static func read(_ store: any KeyportStorage) async throws -> [String: String] {
        var answers: [String: String] = [:]
        func record(_ question: String, _ answer: some Any) { answers[question] = text(answer) }

        record("accounts", try await store.accounts(offset: 0, limit: 100))
        record("account count", try await store.accountCount())
        for user in PortFixture.localUsers {
            record("account \(user)", try await store.account(userID: user))
            record("devices \(user)", try await store.devices(userID: user))
            record("sharing \(user)", try await store.usersSharingRoom(with: user).sorted())
            record("memberships \(user)", try await store.memberships(userID: user))
            record("cross-signing \(user)", try await store.crossSigningKeys(userID: user))
            record("latest stream id \(user)", try await store.latestDeviceListStreamID(userID: user))
            record(
                "remote servers \(user)",
                try await store.remoteServersSharingRoom(with: user, localServer: "example.com").sorted())
        }
        for token in PortFixture.tokenHashes {
            record("session \(token)", try await store.session(tokenHash: token))
        }
        record("session second-token-A1", try await store.session(tokenHash: "second-token-A1"))
        for (user, device) in PortFixture.devices {
            record("device \(user) \(device)", try await store.device(userID: user, deviceID: device))
            record("device keys \(user) \(device)", try await store.deviceKeys(userID: user, deviceID: device))
            record("otk counts \(user) \(device)", try await store.oneTimeKeyCounts(userID: user, deviceID: device))
            record(
                "fallback \(user) \(device)",
                try await store.unusedFallbackKeyTypes(userID: user, deviceID: device).sorted())
            record(
                "inbox \(user) \(device)",
                try await store.toDeviceMessages(userID: user, deviceID: device, after: 0, upTo: .max, limit: 1_000))
        }
        let query = Dictionary(uniqueKeysWithValues: PortFixture.localUsers.map { ($0, [String]()) })
        record("query devices", try await store.queryDevices(query))
        record("cross-signing of all", try await store.crossSigningKeys(userIDs: PortFixture.localUsers))
        record("signatures", Set(try await store.signatures(targetUserIDs: PortFixture.localUsers)))

        let devicePosition = try await store.currentDeviceListPosition()
        record("device-list position", devicePosition)
        record("device-list changes", try await store.deviceListChanges(from: 0, to: devicePosition))
        for position in stride(from: Int64(0), through: devicePosition, by: 3) {
            record("sharing alice at \(position)", try await store.usersSharingRoom(with: alice, at: position).sorted())
            record("members at \(position)", try await store.joinedMembers(roomID: PortFixture.otherRoom, at: position))
        }
        record("to-device position", try await store.currentToDevicePosition())
        record("pending to-device", try await store.pendingToDeviceCount())

        let roomPosition = try await store.currentRoomPosition()
        record("room position", roomPosition)
        for room in [PortFixture.room, PortFixture.otherRoom, PortFixture.graphRoom, "!missing:example.com"] {
            record("exists \(room)", try await store.roomExists(roomID: room))
            record("version \(room)", try await store.roomVersion(roomID: room))
            record("extremities \(room)", try await store.forwardExtremities(roomID: room))
            record("state \(room)", try await store.currentState(roomID: room).sorted { $0.eventID < $1.eventID })
            record("members \(room)", try await store.joinedMembers(roomID: room).sorted())
            record(
                "timeline \(room)", try await store.roomEvents(roomID: room, after: 0, upTo: roomPosition, limit: 100))
            record("backwards \(room)", try await store.roomEventsBackwards(roomID: room, before: .max, limit: 100))
            record(
                "encryption \(room)", try await store.stateEvent(roomID: room, type: "m.room.encryption", stateKey: ""))
            for position in 0...roomPosition {
                record(
                    "carol in \(room) at \(position)",
                    try await store.membership(roomID: room, userID: carol, at: position))
            }
        }
        answers.merge(try await readRoomGraph(store)) { first, _ in first }
        record("alias", try await store.roomID(forAlias: "#room:example.com"))
        for filter in ["0", "1", "2"] {
            record("filter \(filter)", try await store.filter(userID: alice, filterID: filter))
        }

        record("server keys", try await store.serverKeys(serverName: "remote.example").sorted { $0.keyID < $1.keyID })
        record("transaction", try await store.transactionResponse(origin: "remote.example", transactionID: "t-1"))
        record("destinations", try await store.destinationsWithQueuedEDUs().sorted())
        record("queued counts", try await store.queuedEDUCounts())
        record("PDU destinations", try await store.destinationsWithQueuedPDUs())
        record("queued PDU counts", try await store.queuedPDUCounts())
        for destination in PortFixture.destinations {
            record("queue \(destination)", try await store.queuedEDUs(destination: destination, limit: 100))
            record("PDU queue \(destination)", try await store.queuedPDUs(destination: destination, limit: 100))
        }
        record("fan-out position", try await store.deviceListFanOutPosition())
        for user in PortFixture.remoteUsers {
            record("remote list \(user)", try await store.remoteDeviceList(userID: user))
        }
        record("stale remote lists", try await store.staleRemoteDeviceLists().sorted())
        record("auth stages", try await store.authSessionStages(id: PortFixture.authSession, notBefore: 0)?.sorted())
        record("auth stages 2", try await store.authSessionStages(id: "uia-session-2", notBefore: 0)?.sorted())
        record("destination retries", try await store.destinationRetries())
        record("appservice bridge", try await store.appServiceState(serviceID: "bridge"))
        record("appservice idle", try await store.appServiceState(serviceID: "idle"))
        let accountDataPosition = try await store.currentAccountDataPosition()
        record("account data position", accountDataPosition)
        for user in PortFixture.localUsers {
            record(
                "account data \(user)",
                try await store.accountDataChanges(userID: user, after: 0, upTo: accountDataPosition))
            record("profile \(user)", try await store.profile(userID: user))
            record("dehydrated device of \(user)", try await store.dehydratedDevice(userID: user))
            for version in [nil, 1, 2] as [Int64?] {
                let found = try await store.backupVersion(userID: user, version: version)
                record("backup version \(String(describing: version)) of \(user)", found)
                if let found {
                    record(
                        "backup keys \(found.version) of \(user)",
                        try await store.backupKeys(userID: user, version: found.version, scope: .all))
                }
            }
        }
        return answers
    }

    /// The graph room: every event with its flags, the state after each, auth chains.
    private static func readRoomGraph(_ store: any KeyportStorage) async throws -> [String: String] {
        var answers: [String: String] = [:]
        func record(_ question: String, _ answer: some Any) { answers[question] = text(answer) }
        let ids = Set(PortFixture.graphEvents)
        record("legacy rooms", try await store.legacyRooms())
        record("graph events", try await store.events(ids))
        record("rejected graph events", try await store.rejectedEvents(among: ids))
        record("auth chain of the graph", try await store.authChain(of: ids))
        for id in PortFixture.graphEvents {
            record("state after \(id)", try await store.stateAfter(eventID: id))
            record("auth chain of \(id)", try await store.authChain(of: [id]))
        }
        return answers
    }

    /// A value as text that depends only on the value: JSON objects as canonical JSON, the
    /// elements of sets and dictionaries sorted, records field by field.
    static func text(_ value: Any) -> String {
        if let object = value as? JSONObject { return JSONValue.object(object).encodedString() }
        if let json = value as? JSONValue { return json.encodedString() }
        let mirror = Mirror(reflecting: value)
        let children = mirror.children.map { child in (child.label.map { "\($0): " } ?? "") + text(child.value) }
        switch mirror.displayStyle {
        case .optional: return children.first ?? "nil"
        case .set, .dictionary: return "{" + children.sorted().joined(separator: ", ") + "}"
        case .collection, .tuple: return "[" + children.joined(separator: ", ") + "]"
        case .struct, .class,
            .enum where !children.isEmpty:
            return "\(mirror.subjectType)(" + children.joined(separator: ", ") + ")"
        default: return String(describing: value)
        }
    }
}
