import MatrixModel

/// Sending to-device messages: Olm-encrypted to chosen devices, or in the clear (key requests,
/// which the spec sends unencrypted to all of one's own devices).
extension MatrixClient {
    /// Encrypts `content` as an event of `type` for each device and sends them in one request.
    /// Returns the devices it went to: those we could start (or had) an Olm session with.
    @discardableResult
    public func sendEncrypted(type: String, contents: [(device: DeviceInfo, content: JSONObject)]) async throws
        -> [DeviceRef]
    {
        guard !contents.isEmpty else { return [] }
        try await ensureOlmSessions(with: contents.map(\.device))
        let olm = olm
        // The sessions move on and are saved before anything leaves the process.
        let (messages, sent) = try await store.write { tx in
            var messages = JSONObject()
            var sent: [DeviceRef] = []
            for (device, content) in contents where try olm.hasSession(with: device, in: tx) {
                let encrypted = try olm.encrypt(type: type, content: content, for: device, in: tx)
                var forUser = messages[device.userID]?.objectValue ?? [:]
                forUser[device.deviceID] = .object(encrypted)
                messages[device.userID] = .object(forUser)
                sent.append(device.ref)
            }
            return (messages, sent)
        }
        guard !sent.isEmpty else { return [] }
        try await sendToDevice(type: "m.room.encrypted", messages: messages)
        return sent
    }

    /// `PUT /sendToDevice/{type}/{txnId}` with `messages` (user → device or `*` → content).
    public func sendToDevice(type: String, messages: JSONObject) async throws {
        do {
            try await api.call(
                .put, "/sendToDevice/\(HomeserverAPI.segment(type))/\(Self.transactionID())",
                body: ["messages": .object(messages)])
        } catch let error as HomeserverError {
            throw error.clientError
        }
    }
}
