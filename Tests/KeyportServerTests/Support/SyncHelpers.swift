import Hummingbird
import HummingbirdTesting
import MatrixModel
import Testing

extension MatrixClient {
    /// `GET /sync` for a device; returns the reply (its `next_batch` is the next `since`).
    func sync(_ user: TestUser, since: String? = nil, timeout: Int = 0, filter: String? = nil) async throws -> Reply {
        var query = ["timeout=\(timeout)"]
        if let since { query.append("since=\(since)") }
        if let filter { query.append("filter=\(filter.addingPercentEncodingForQuery())") }
        let reply = try await client(.get, "/sync?" + query.joined(separator: "&"), token: user.token)
        try #require(reply.status == 200, "sync failed: \(reply.body)")
        return reply
    }

    /// The `next_batch` of a sync that waits for nothing: the current position for this device.
    func position(_ user: TestUser, since: String? = nil) async throws -> String {
        try #require(try await sync(user, since: since)["next_batch"]?.stringValue)
    }
}

extension String {
    func addingPercentEncodingForQuery() -> String {
        var result = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                result.append(Character(Unicode.Scalar(byte)))
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded()
            }
        }
        return result
    }

    private func leftPadded() -> String { count == 1 ? "0" + self : self }
}

extension MatrixClient.Reply {
    /// `to_device.events` of a sync reply.
    var toDeviceEvents: [JSONValue] { body["to_device"]?["events"]?.arrayValue ?? [] }

    /// `device_lists.changed` / `left` as sets.
    var changed: Set<String> { Set(body["device_lists"]?["changed"]?.arrayValue?.compactMap(\.stringValue) ?? []) }
    var left: Set<String> { Set(body["device_lists"]?["left"]?.arrayValue?.compactMap(\.stringValue) ?? []) }

    var nextBatch: String { body["next_batch"]?.stringValue ?? "" }
}
