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

    func run() async throws {
        let from = try await store.deviceListFanOutPosition()
        let to = try await store.currentDeviceListPosition()
        guard to > from else { return }
        var edus: [QueuedEDU] = []
        for change in try await store.deviceListChanges(from: from, to: to) where identity.isLocal(change.userID) {
            guard change.kind == .device || change.kind == .crossSigning else { continue }
            let destinations = try await store.remoteServersSharingRoom(
                with: change.userID, localServer: identity.serverName.rawValue)
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
        try await store.enqueueDeviceListFanOut(edus, upTo: to, now: clock.now())
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
