/// The application services this server was configured with, looked up by token and by user.
/// Nothing about them is stored: a namespace of a million users costs nothing until one of its
/// users is used.
public struct ApplicationServiceRegistry: Sendable {
    public let services: [ApplicationService]
    private let byToken: [String: ApplicationService]

    /// `services` must have distinct IDs and `as_token`s (the configuration loader checks).
    public init(_ services: [ApplicationService] = []) {
        self.services = services
        byToken = Dictionary(services.map { ($0.asToken, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var isEmpty: Bool { services.isEmpty }

    /// The service whose `as_token` this is.
    public func service(asToken token: String) -> ApplicationService? {
        byToken[token]
    }

    /// The service that alone may register and act as the user, if any.
    public func exclusiveOwner(ofUser userID: String) -> ApplicationService? {
        services.first { $0.ownsExclusively(user: userID) }
    }

    /// The services interested in a user (its sender or a namespace match).
    public func interested(inUser userID: String) -> [ApplicationService] {
        services.filter { $0.isInterested(inUser: userID) }
    }

    /// Why two services cannot be configured together, or nil: the same ID, the same `as_token`,
    /// exclusive user namespaces that can both match some user ID (named with an example ID), or
    /// one's sender inside the other's exclusive users. Overlap is decided by comparing the
    /// expressions' languages (``NamespaceOverlap``) for the syntax registrations use; for a pair
    /// in which either uses more (backreferences, lookaround, inline flags, `\b`, Unicode
    /// properties...), only identical expressions are refused.
    public static func conflict(_ first: ApplicationService, _ second: ApplicationService) -> String? {
        if first.id == second.id { return "both have the id '\(first.id)'" }
        if first.asToken == second.asToken { return "both use the same as_token" }
        let firstExclusive = Set(first.namespaces[.users, default: []].filter(\.exclusive).map(\.regex))
        let secondExclusive = Set(second.namespaces[.users, default: []].filter(\.exclusive).map(\.regex))
        if let shared = firstExclusive.intersection(secondExclusive).sorted().first {
            return "both claim the users matching '\(shared)' exclusively"
        }
        if let overlap = exclusiveUserOverlap(first, second) {
            let example = overlap.example.unicodeScalars.map { $0.escaped(asASCII: false) }.joined()
            return "'\(first.id)' and '\(second.id)' both claim users matching '\(overlap.first.regex)' and "
                + "'\(overlap.second.regex)' exclusively (for example \(example))"
        }
        if second.ownsExclusively(user: first.sender) {
            return "'\(second.id)' claims '\(first.id)''s sender \(first.sender) exclusively"
        }
        if first.ownsExclusively(user: second.sender) {
            return "'\(first.id)' claims '\(second.id)''s sender \(second.sender) exclusively"
        }
        return nil
    }
}
