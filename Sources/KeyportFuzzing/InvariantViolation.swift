/// A property a fuzz target checks that did not hold for one input.
public struct InvariantViolation: Error, Sendable, CustomStringConvertible {
    /// What was expected, and what happened instead.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Throws an ``InvariantViolation`` carrying `message` unless `condition` holds.
func invariant(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
    guard condition else { throw InvariantViolation(message()) }
}
