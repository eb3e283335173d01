import MatrixModel

/// `query`: `/keys/query` for one user with 1,000 devices (by all clients, then by one alone), and
/// for 100 users × 5 devices.
struct QueryScenario {
    let users: BenchUsers
    let concurrency: Int
    let duration: Duration

    func run() async throws -> [(String, ScenarioResult)] {
        let users = users
        let big = try await users.register("bigquery")
        let logins = try await collect(999) { _ in try await users.login(big) }
        try await users.uploadDeviceKeys([big] + logins)

        // Set-up, not measured: eight requests at a time, as for the big user's devices.
        let many = try await collect(100) { index in try await users.register("smallquery\(index)") }
        let owners = many
        let manyDevices = try await many + collect(400) { index in try await users.login(owners[index / 4]) }
        try await users.uploadDeviceKeys(manyDevices)

        let asker = try await users.register("asker")
        let client = users.client
        let bigBody: JSONValue = ["device_keys": .object([big.userID: []])]
        let oneUser = await runTimed(workers: concurrency, duration: duration, recorder: LatencyRecorder()) { _, _ in
            let reply = try await client.callRaw(.post, "/keys/query", token: asker.token, body: bigBody)
            let devices = reply.occurrences(of: #""device_id":"#)
            guard devices == 1000 else {
                throw BenchClient.Failure(status: 200, body: "expected 1000 devices, got \(devices)")
            }
        }
        // The same query from one client alone: the latency of the request itself, without queueing.
        let single = await runTimed(workers: 1, duration: duration, recorder: LatencyRecorder()) { _, _ in
            let reply = try await client.callRaw(.post, "/keys/query", token: asker.token, body: bigBody)
            let devices = reply.occurrences(of: #""device_id":"#)
            guard devices == 1000 else {
                throw BenchClient.Failure(status: 200, body: "expected 1000 devices, got \(devices)")
            }
        }
        var request: JSONObject = [:]
        for user in many { request[user.userID] = [] }
        let manyBody: JSONValue = ["device_keys": .object(request)]
        let manyUsers = await runTimed(workers: concurrency, duration: duration, recorder: LatencyRecorder()) { _, _ in
            let reply = try await client.callRaw(.post, "/keys/query", token: asker.token, body: manyBody)
            let devices = reply.occurrences(of: #""device_id":"#)
            guard devices == 500 else {
                throw BenchClient.Failure(status: 200, body: "expected 500 devices, got \(devices)")
            }
        }
        return [("query-1000-devices", oneUser), ("query-1000-devices-1client", single), ("query-100x5", manyUsers)]
    }

    private func collect(_ count: Int, _ make: @escaping @Sendable (Int) async throws -> BenchDevice) async throws
        -> [BenchDevice]
    {
        try await withThrowingTaskGroup(of: BenchDevice.self) { group in
            var made: [BenchDevice] = []
            var next = 0
            for _ in 0..<min(8, count) {
                let index = next
                group.addTask { try await make(index) }
                next += 1
            }
            while let device = try await group.next() {
                made.append(device)
                if next < count {
                    let index = next
                    group.addTask { try await make(index) }
                    next += 1
                }
            }
            return made
        }
    }
}
