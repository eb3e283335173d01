/// One DNS SRV record (RFC 2782): where a service can be reached.
public struct SRVRecord: Sendable, Equatable {
    /// Lower values are tried first.
    public var priority: Int
    /// Among records of equal priority, higher values should be chosen more often.
    public var weight: Int
    /// The TCP port of the service on `target`.
    public var port: Int
    /// The host providing the service, without a trailing dot.
    public var target: String

    public init(priority: Int, weight: Int, port: Int, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    /// The record to use from a lookup's answer: lowest priority first, then highest weight.
    /// Targets are returned without a trailing dot; a target of "." (the service is not offered
    /// there, RFC 2782) is never chosen.
    package static func preferred(_ records: [SRVRecord]) -> SRVRecord? {
        let usable = records.compactMap { record -> SRVRecord? in
            var record = record
            if record.target.hasSuffix(".") { record.target.removeLast() }
            return record.target.isEmpty ? nil : record
        }
        return usable.min { lhs, rhs in
            lhs.priority != rhs.priority ? lhs.priority < rhs.priority : lhs.weight > rhs.weight
        }
    }
}

/// Looks up SRV records.
public protocol SRVResolving: Sendable {
    /// The SRV records for a full name such as `_matrix-fed._tcp.example.org`; an empty array
    /// when the name does not exist or has no SRV records. Throws when no answer could be had.
    func lookupSRV(_ name: String) async throws -> [SRVRecord]
}
