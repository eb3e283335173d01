import KeyportServices
import KeyportStore
import MatrixModel

/// Turns local device-list changes into EDUs for every server sharing a room with the user: the
/// device-list stream is read from a durable position, and the EDUs and the new position are
/// stored in one transaction, so a change is queued exactly once even across a crash.
struct DeviceListFanOut: Sendable {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let keys: KeyService
    let clock: ServerClock

    /// Stream positions handled per store transaction, so a long backlog is read in bounded steps.
    static let batchSize: Int64 = 1_000

    /// Fans out up to the stream's head. Another process fanning out at the same time claims each
    /// range first or not at all (the position moves by compare-and-set): the loser reads the
    /// position again and goes on from there.
    func run() async throws {
        let head = try await store.currentDeviceListPosition()
        var from = try await store.deviceListFanOutPosition()
        while from < head {
            let to = min(head, from + Self.batchSize)
            if try await fanOut(from: from, to: to) {
                from = to
            } else {
                from = try await store.deviceListFanOutPosition()
            }
        }
    }

    private func fanOut(from: Int64, to: Int64) async throws -> Bool {
        var edus: [QueuedEDU] = []
        for change in try await store.deviceListChanges(from: from, to: to) {
            if change.kind == .membership {
                edus += try await joinUpdates(change)
                if change.membership != "join" { try await forgetUntrackedLists(after: change) }
                continue
            }
            guard identity.isLocal(change.userID), change.kind == .device || change.kind == .crossSigning else {
                continue
            }
            let destinations = try await remoteServers(sharingRoomWith: change.userID, at: change.streamID)
            guard !destinations.isEmpty else { continue }
            let edu: (type: String, content: JSONObject)?
            if change.kind == .device {
                edu = try await deviceUpdate(change)
            } else {
                edu = try await signingKeyUpdate(change.userID)
            }
            guard let edu else { continue }
            for destination in destinations.sorted() {
                edus.append(QueuedEDU(destination: destination, type: edu.type, content: edu.content))
            }
        }
        return try await store.enqueueDeviceListFanOut(edus, from: from, upTo: to, now: clock.now())
    }

    /// The other servers with a user in a room the user was joined to at the change's position, not
    /// now: a change followed by a leave (deactivation deletes every device, then leaves every room)
    /// still reaches the servers that shared the room when it happened, however late this runs.
    private func remoteServers(sharingRoomWith userID: String, at position: Int64) async throws -> Set<String> {
        var servers = Set(
            try await store.usersSharingRoom(with: userID, at: position).compactMap { UserID($0)?.serverName.rawValue })
        servers.remove(identity.serverName.rawValue)
        return servers
    }

    /// A join brings servers that may not have the user's list: a local user joining tells the
    /// room's other servers; a remote user joining tells its server about the room's local users.
    /// One update per user suffices: a receiver without the list resyncs all of it.
    private func joinUpdates(_ change: DeviceListChange) async throws -> [QueuedEDU] {
        guard change.membership == "join", let roomID = change.roomID,
            let joiner = UserID(change.userID)
        else { return [] }
        let members = try await store.joinedMembers(roomID: roomID, at: change.streamID)
        let pairs: [(user: String, destination: String)]
        if identity.isLocal(joiner) {
            let servers = Set(members.compactMap { UserID($0)?.serverName.rawValue }).subtracting([
                identity.serverName.rawValue
            ])
            pairs = servers.sorted().map { (change.userID, $0) }
        } else {
            pairs = members.filter { identity.isLocal($0) }.sorted().map { ($0, joiner.serverName.rawValue) }
        }
        var edus: [QueuedEDU] = []
        for (userID, destination) in pairs {
            guard let device = try await store.devices(userID: userID).first else { continue }
            let change = DeviceListChange(
                streamID: change.streamID, userID: userID, kind: .device, deviceID: device.deviceID, roomID: nil,
                membership: nil)
            if let edu = try await deviceUpdate(change) {
                edus.append(QueuedEDU(destination: destination, type: edu.type, content: edu.content))
            }
        }
        return edus
    }

    /// A leave can end the last room a remote user shared with this server's users: their cached
    /// device list then stops being kept up to date by their server, so it is forgotten (a later
    /// query asks their server again).
    private func forgetUntrackedLists(after change: DeviceListChange) async throws {
        guard let roomID = change.roomID else { return }
        var candidates = Set<String>()
        if identity.isLocal(change.userID) {
            candidates = Set(try await store.joinedMembers(roomID: roomID).filter { !identity.isLocal($0) })
        } else {
            candidates = [change.userID]
        }
        for userID in candidates.sorted() {
            let sharing = try await store.usersSharingRoom(with: userID)
            if !sharing.contains(where: { identity.isLocal($0) }) {
                try await store.forgetRemoteDeviceList(userID: userID)
            }
        }
    }

    private func deviceUpdate(_ change: DeviceListChange) async throws -> (type: String, content: JSONObject)? {
        guard let deviceID = change.deviceID else { return nil }
        var content: JSONObject = [
            "user_id": .string(change.userID), "device_id": .string(deviceID), "stream_id": .int(change.streamID),
        ]
        if let device = try await store.device(userID: change.userID, deviceID: deviceID) {
            if let name = device.displayName { content["device_display_name"] = .string(name) }
            let answer = try await keys.queryLocal(
                [change.userID: [deviceID]], requester: nil, includeDisplayNames: false)
            if var deviceKeys = answer["device_keys"]?.objectValue?[change.userID]?.objectValue?[deviceID]?
                .materializedObject
            {
                deviceKeys["unsigned"] = nil
                content["keys"] = .object(deviceKeys)
            }
        } else {
            content["deleted"] = true
        }
        return ("m.device_list_update", content)
    }

    private func signingKeyUpdate(_ userID: String) async throws -> (type: String, content: JSONObject)? {
        let answer = try await keys.queryLocal([userID: []], requester: nil, includeDisplayNames: false)
        var content: JSONObject = ["user_id": .string(userID)]
        if let master = answer["master_keys"]?.objectValue?[userID] { content["master_key"] = master }
        if let selfSigning = answer["self_signing_keys"]?.objectValue?[userID] {
            content["self_signing_key"] = selfSigning
        }
        return ("m.signing_key_update", content)
    }
}
