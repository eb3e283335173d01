import MatrixModel

/// Packs to-device messages for one destination into `m.direct_to_device` EDUs whose canonical
/// JSON, envelope included (`{"content": {...}, "edu_type": "m.direct_to_device"}`), stays under
/// 64 KiB: Synapse aims for the same bound (`SOFT_MAX_EDU_SIZE`), and a transaction of larger EDUs
/// can exceed what a receiver accepts and be refused over and over.
///
/// Sizes are counted exactly: the envelope with an empty `messages` is measured once, and each
/// message adds its device key, its content and, for a recipient not yet in the EDU, the user key
/// and braces, with the commas between members.
struct DirectToDeviceEDUs {
    /// Every EDU's canonical JSON is shorter than this many bytes.
    static let maxEDUBytes = 65536
    /// The length of each EDU's random `message_id`.
    static let messageIDLength = 24

    let sender: String
    let type: String

    /// The EDU contents and the canonical size of each whole EDU, in recipient order. A message
    /// that cannot fit even alone still gets an EDU of its own (``size(ofOneMessageTo:deviceID:contentBytes:)``
    /// lets callers refuse such messages first).
    func pack(_ messages: [String: JSONValue]) -> (edus: [JSONObject], sizes: [Int]) {
        let base = envelopeBytes
        var edus: [JSONObject] = []
        var sizes: [Int] = []
        var current: [String: JSONObject] = [:]
        var size = base
        func flush() {
            guard !current.isEmpty else { return }
            edus.append(content(current, messageID: SecureTokens.random(length: Self.messageIDLength)))
            sizes.append(size)
            current = [:]
            size = base
        }
        for (userID, devices) in messages.sorted(by: { $0.key < $1.key }) {
            for (deviceID, message) in devices.objectValue?.sortedMembers() ?? [] {
                let messageBytes = Self.encodedLength(message)
                var added = growth(userID: userID, deviceID: deviceID, contentBytes: messageBytes, in: current)
                if size + added >= Self.maxEDUBytes, !current.isEmpty {
                    flush()
                    added = growth(userID: userID, deviceID: deviceID, contentBytes: messageBytes, in: current)
                }
                current[userID, default: [:]][deviceID] = message
                size += added
            }
        }
        flush()
        return (edus, sizes)
    }

    /// The canonical size of an EDU carrying only this one message.
    func size(ofOneMessageTo userID: String, deviceID: String, contentBytes: Int) -> Int {
        envelopeBytes + growth(userID: userID, deviceID: deviceID, contentBytes: contentBytes, in: [:])
    }

    /// The EDU content for `messages`.
    func content(_ messages: [String: JSONObject], messageID: String) -> JSONObject {
        [
            "sender": .string(sender), "type": .string(type), "message_id": .string(messageID),
            "messages": .object(JSONObject(messages.mapValues { .object($0) })),
        ]
    }

    /// The canonical size of the whole EDU with no messages.
    private var envelopeBytes: Int {
        let empty = content([:], messageID: String(repeating: "x", count: Self.messageIDLength))
        return Self.encodedLength(.object(["edu_type": "m.direct_to_device", "content": .object(empty)]))
    }

    /// The bytes one message adds to an EDU already holding `current`.
    private func growth(userID: String, deviceID: String, contentBytes: Int, in current: [String: JSONObject]) -> Int {
        // "device":content
        var added = Self.encodedLength(.string(deviceID)) + 1 + contentBytes
        if let devices = current[userID] {
            if !devices.isEmpty { added += 1 }  // the comma before it
        } else {
            // "user":{...}, with a comma if another recipient is already there
            added += Self.encodedLength(.string(userID)) + 1 + 2 + (current.isEmpty ? 0 : 1)
        }
        return added
    }

    /// The length of a value's canonical JSON (its compact JSON when it has no canonical form).
    static func encodedLength(_ value: JSONValue) -> Int {
        (try? JSONWriter.canonicalBytes(value).count) ?? JSONWriter.bytes(value).count
    }
}
