import AsyncHTTPClient

/// Runs `body` with a new `HTTPClient` on the shared event loop group and shuts the client down
/// afterwards, also when `body` throws.
public func withHTTPClient<Result>(
    configuration: HTTPClient.Configuration = .init(),
    _ body: (HTTPClient) async throws -> Result
) async throws -> Result {
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    return try await withOwned(client, release: { try await $0.shutdown() }, body)
}
