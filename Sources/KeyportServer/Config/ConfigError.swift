/// A configuration that cannot be used; `serve` prints it and exits with status 2.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "Invalid configuration: \(message)" }
}
