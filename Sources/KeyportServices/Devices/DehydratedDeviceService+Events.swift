import KeyportStore
public import MatrixModel

extension DehydratedDeviceService {
    /// One page of the dehydrated device's to-device messages.
    public struct EventsPage: Sendable, Equatable {
        /// The messages as `/sync` gives them, oldest first.
        public var events: [JSONValue]
        /// Where the next page starts: after the last message here, or at the head of the
        /// to-device stream when no message was left over.
        public var nextBatch: String
        /// Whether messages were left over (up to the head read before this page).
        public var hasMore: Bool
    }

    /// `GET /dehydrated_device/{deviceId}/events?from=` (and the older `POST` with `next_batch`):
    /// the messages after the token, at most `limit` (100 by default and at most). Nothing is
    /// deleted, unlike `/sync`: reading again gives the same messages, so a rehydration that was
    /// cut short can start over (MSC3814); they go only with the device. 403 `M_FORBIDDEN` unless
    /// `deviceID` is the user's dehydrated device; 400 `M_INVALID_PARAM` for a token this did not
    /// hand out or a limit below 1.
    public func events(userID: String, deviceID: String, from token: String?, limit: String?) async throws
        -> EventsPage
    {
        guard let device = try await store.dehydratedDevice(userID: userID), device.deviceID == deviceID else {
            throw MatrixError.forbidden("You may only fetch messages for your dehydrated device")
        }
        let after = try Self.position(token)
        let count = try Self.count(limit)
        let head = try await store.currentToDevicePosition()
        let messages = try await store.toDeviceMessages(
            userID: userID, deviceID: deviceID, after: after, upTo: head, limit: count + 1)
        let page = messages.prefix(count)
        let hasMore = messages.count > count
        let next = hasMore ? page.last?.streamID ?? after : max(head, after)
        return EventsPage(events: page.map(\.clientEvent), nextBatch: "d\(next)", hasMore: hasMore)
    }

    /// The position a `d<position>` token (Synapse's shape) stands for; 0 without one.
    static func position(_ token: String?) throws(MatrixError) -> Int64 {
        guard let token else { return 0 }
        let digits = token.utf8.dropFirst()
        guard token.hasPrefix("d"), !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }),
            let position = Int64(token.dropFirst())
        else { throw .invalidParam("Invalid next_batch token '\(token)'") }
        return position
    }

    /// The `limit` query parameter: 100 when absent, at most 100.
    static func count(_ limit: String?) throws(MatrixError) -> Int {
        guard let limit else { return pageLimit }
        guard let count = Int(limit), count >= 1 else {
            throw .invalidParam("Query parameter limit must be a positive integer")
        }
        return min(count, pageLimit)
    }
}
