/// Why a PDU is not well-formed for its room version. Such an event is dropped, never stored.
public struct PDUFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}
