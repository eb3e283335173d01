/// What `/.well-known/matrix/server` said about a server name.
public enum WellKnownResult: Sendable, Equatable {
    /// The `m.server` value: a valid `host[:port]` to use instead of the server name.
    case delegated(String)
    /// No usable delegation: the file is missing, invalid, or could not be fetched.
    case none
}

/// Fetches a server's `/.well-known/matrix/server` file.
public protocol WellKnownFetching: Sendable {
    /// The delegation published by `hostname`, and how long the answer may be cached.
    /// Never fails: problems are reported as `.none` with a short cache lifetime.
    func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration)
}
