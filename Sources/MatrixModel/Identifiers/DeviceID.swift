/// Limits on the opaque identifiers clients choose.
public enum IdentifierLimits {
    /// The longest device ID accepted, in bytes.
    public static let maxDeviceIDLength = 255
    /// The longest key ID (`algorithm:name`) accepted, in bytes.
    public static let maxKeyIDLength = 255

    /// Device IDs are opaque, but must be non-empty printable text of bounded length.
    public static func isValidDeviceID(_ deviceID: String) -> Bool {
        !deviceID.isEmpty && deviceID.utf8.count <= maxDeviceIDLength
            && deviceID.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}

/// A key identifier `algorithm:name`, as used in `keys` maps and signatures.
public struct KeyID: Sendable, Hashable, CustomStringConvertible {
    public let algorithm: String
    public let name: String

    public init?(_ rawValue: String) {
        guard rawValue.utf8.count <= IdentifierLimits.maxKeyIDLength, let colon = rawValue.firstIndex(of: ":") else {
            return nil
        }
        let algorithm = rawValue[..<colon]
        let name = rawValue[rawValue.index(after: colon)...]
        guard !algorithm.isEmpty, !name.isEmpty else { return nil }
        self.algorithm = String(algorithm)
        self.name = String(name)
    }

    public init(algorithm: String, name: String) {
        self.algorithm = algorithm
        self.name = name
    }

    public var rawValue: String { "\(algorithm):\(name)" }
    public var description: String { rawValue }
}
