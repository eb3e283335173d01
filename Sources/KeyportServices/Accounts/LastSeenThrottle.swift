/// Decides when a device's last-seen time and address are worth a write: at most once per
/// interval per device, so authentication does not turn every request into a write.
actor LastSeenThrottle {
    private var recorded: [String: Int64] = [:]
    private let interval: Int64

    init(intervalMilliseconds: Int64 = 5 * 60 * 1000) {
        self.interval = intervalMilliseconds
    }

    func shouldRecord(userID: String, deviceID: String, now: Int64) -> Bool {
        let key = userID + "|" + deviceID
        if let last = recorded[key], now - last < interval { return false }
        if recorded.count > 100_000 { recorded = recorded.filter { now - $0.value < interval } }
        recorded[key] = now
        return true
    }
}
