/// One application service (a bridge or bot) as its registration file describes it: how the server
/// and the service authenticate to each other, the users, aliases and rooms it is interested in,
/// and which of those it owns alone (`exclusive`).
public struct ApplicationService: Sendable {
    /// One `namespaces` entry: a regular expression, matched from the start of the ID (as
    /// Synapse's `re.match` does; a namespace that means the whole ID ends with `$` or a literal
    /// server name), and whether the service owns what it matches.
    public struct Namespace: Sendable {
        public let regex: String
        public let exclusive: Bool
        let pattern: NamespacePattern

        /// Nil when `regex` is not a valid regular expression.
        public init?(regex: String, exclusive: Bool) {
            guard let pattern = NamespacePattern(regex) else { return nil }
            self.regex = regex
            self.exclusive = exclusive
            self.pattern = pattern
        }

        public func matches(_ id: String) -> Bool {
            pattern.matchesPrefix(of: id)
        }
    }

    /// The three kinds of namespace a registration names.
    public enum NamespaceKind: String, Sendable, CaseIterable {
        case users, aliases, rooms
    }

    public let id: String
    /// Where transactions and queries go; nil (`url: null`) for a service that only acts.
    public let url: String?
    /// What the service sends as its access token.
    public let asToken: String
    /// What the server sends to the service.
    public let hsToken: String
    /// The service's own user, `@sender_localpart:server`.
    public let sender: String
    public let namespaces: [NamespaceKind: [Namespace]]
    /// Whether requests made as the service's users are rate limited (the sender never is).
    public let rateLimited: Bool
    /// MSC2409: ephemeral events (receipts, typing, presence) in its transactions.
    public let receivesEphemeral: Bool
    /// MSC3202: device lists, one-time key counts and fallback key state in its transactions.
    public let receivesDeviceData: Bool

    public init(
        id: String, url: String?, asToken: String, hsToken: String, sender: String,
        namespaces: [NamespaceKind: [Namespace]], rateLimited: Bool = true, receivesEphemeral: Bool = false,
        receivesDeviceData: Bool = false
    ) {
        self.id = id
        self.url = url
        self.asToken = asToken
        self.hsToken = hsToken
        self.sender = sender
        self.namespaces = namespaces
        self.rateLimited = rateLimited
        self.receivesEphemeral = receivesEphemeral
        self.receivesDeviceData = receivesDeviceData
    }

    /// Whether the service is interested in a user: its sender, or a user its namespaces match.
    public func isInterested(inUser userID: String) -> Bool {
        userID == sender || matching(.users, userID) != nil
    }

    /// Whether the service alone may register and act as the user.
    public func ownsExclusively(user userID: String) -> Bool {
        matching(.users, userID)?.exclusive == true
    }

    /// The first namespace of a kind that matches `id`.
    public func matching(_ kind: NamespaceKind, _ id: String) -> Namespace? {
        namespaces[kind]?.first { $0.matches(id) }
    }
}
