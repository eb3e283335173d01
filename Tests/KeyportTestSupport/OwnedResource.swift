/// Runs `body` with `resource`, then `release`s it on every path: when `body` returns and when it
/// throws (cancellation included). `body`'s error is the one rethrown; a failure to release is
/// rethrown only when `body` succeeded.
///
/// Every test helper that owns a client, a server or a process is built on this, so a failing
/// test cannot leave one behind. That matters beyond tidiness: an `HTTPClient` dropped without
/// `shutdown()` traps in its deinit, and the trap ends the whole test process, losing the results
/// of every test after it.
public func withOwned<Resource, Result>(
    _ resource: Resource,
    release: (Resource) async throws -> Void,
    _ body: (Resource) async throws -> Result
) async throws -> Result {
    let result: Result
    do {
        result = try await body(resource)
    } catch {
        try? await release(resource)
        throw error
    }
    try await release(resource)
    return result
}
