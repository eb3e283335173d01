/// Comparison of secrets in time that depends only on their length, so that an attacker who
/// measures how long a MAC check takes learns nothing about how many bytes matched.
enum ConstantTime {
    /// True when both sequences hold the same bytes; their lengths are not secret.
    static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }

    /// True when every byte is zero, looking at every byte.
    static func isAllZero(_ bytes: some Collection<UInt8>) -> Bool {
        var accumulated: UInt8 = 0
        for byte in bytes { accumulated |= byte }
        return accumulated == 0
    }
}
