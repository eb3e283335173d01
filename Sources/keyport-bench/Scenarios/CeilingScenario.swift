import MatrixModel
import NIOCore

/// The ceiling the hot paths are measured against: requests that do nothing but cross the server's
/// layers. `noop` runs an authenticated no-op (`GET /account/whoami`) and an unauthenticated one
/// (`GET /_matrix/client/versions`); `hello` loads a bare Hummingbird hello-world
/// (`keyport-bench-hello`) the same way.
struct CeilingScenario {
    let users: BenchUsers
    let concurrency: Int
    let duration: Duration

    func runNoOps() async throws -> [(String, ScenarioResult)] {
        let user = try await users.register("whoami")
        let client = users.client
        let expected = #""user_id":"\#(user.userID)""#
        let whoami = await runTimed(workers: concurrency, duration: duration, recorder: LatencyRecorder()) { _, _ in
            let reply = try await client.send(.get, "/_matrix/client/v3/account/whoami", token: user.token)
            guard reply.occurrences(of: expected) == 1 else {
                throw BenchClient.Failure(status: 200, body: "whoami did not name the user: \(String(buffer: reply))")
            }
        }
        let versions = await runTimed(workers: concurrency, duration: duration, recorder: LatencyRecorder()) { _, _ in
            let reply = try await client.send(.get, "/_matrix/client/versions")
            guard reply.occurrences(of: #""versions":["#) == 1 else {
                throw BenchClient.Failure(status: 200, body: "no versions: \(String(buffer: reply))")
            }
        }
        return [("noop-whoami", whoami), ("noop-versions", versions)]
    }

    func runHello() async -> [(String, ScenarioResult)] {
        let client = users.client
        let hello = await runTimed(workers: concurrency, duration: duration, recorder: LatencyRecorder()) { _, _ in
            let reply = try await client.send(.get, "/hello")
            guard String(buffer: reply) == "Hello, world!" else {
                throw BenchClient.Failure(status: 200, body: "unexpected answer: \(String(buffer: reply))")
            }
        }
        return [("hello-world", hello)]
    }
}
