/// A position in every stream a client follows, as `/sync` hands it out in `next_batch` and
/// `/keys/changes` takes it back: `s<device lists>_<to-device>_<rooms>_<account data>`.
///
/// Older forms with fewer parts parse with the missing positions at 0, so the token can grow
/// streams without breaking clients that hold an old one.
public struct StreamToken: Sendable, Equatable, CustomStringConvertible {
    public var deviceLists: Int64
    public var toDevice: Int64
    public var rooms: Int64
    public var accountData: Int64

    public init(deviceLists: Int64 = 0, toDevice: Int64 = 0, rooms: Int64 = 0, accountData: Int64 = 0) {
        self.deviceLists = deviceLists
        self.toDevice = toDevice
        self.rooms = rooms
        self.accountData = accountData
    }

    public init?(_ text: String) {
        guard text.hasPrefix("s") else { return nil }
        let parts = text.dropFirst().split(separator: "_", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [Int64] = []
        for part in parts {
            guard let value = Int64(part), value >= 0 else { return nil }
            values.append(value)
        }
        while values.count < 4 { values.append(0) }
        self.init(deviceLists: values[0], toDevice: values[1], rooms: values[2], accountData: values[3])
    }

    public var description: String { "s\(deviceLists)_\(toDevice)_\(rooms)_\(accountData)" }
}
