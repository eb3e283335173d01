import MatrixModel

/// `upload`: devices uploading batches of 50 signed one-time keys. Servers may cap a device's
/// unclaimed keys (Synapse: 500), so each client moves to a fresh device after 9 batches.
struct UploadScenario {
    let users: BenchUsers
    let concurrency: Int
    let duration: Duration
    /// Devices prepared per client; a client that uses them all stops early.
    let devicesPerClient = 40
    let batchesPerDevice = 9

    func run() async throws -> [(String, ScenarioResult)] {
        let owner = try await users.register("uploader")
        let users = users
        let devices = try await withThrowingTaskGroup(of: BenchDevice.self) { group in
            for _ in 0..<(concurrency * devicesPerClient - 1) { group.addTask { try await users.login(owner) } }
            var made = [owner]
            for try await device in group { made.append(device) }
            return made
        }
        try await users.uploadDeviceKeys(devices)
        // Each device signs 50 key objects once; every batch uploads them under fresh key IDs.
        let batches = try devices.map { device in try (0..<50).map { _ in try device.signedKey() } }
        let client = users.client
        let perClient = devicesPerClient
        let perDevice = batchesPerDevice
        let result = await runTimed(workers: concurrency, duration: duration, recorder: LatencyRecorder()) {
            worker, iteration in
            let slot = iteration / perDevice
            guard slot < perClient else { throw StopWorker() }
            let index = worker * perClient + slot
            var keys: JSONObject = [:]
            for (number, key) in batches[index].enumerated() { keys["signed_curve25519:i\(iteration)k\(number)"] = key }
            let reply = try await client.call(
                .post, "/keys/upload", token: devices[index].token, body: ["one_time_keys": .object(keys)])
            // The device holds every batch uploaded to it so far: nothing claims them.
            let count = reply["one_time_key_counts"]?["signed_curve25519"]?.intValue
            guard count == Int64((iteration % perDevice + 1) * 50) else {
                throw BenchClient.Failure(status: 200, body: "upload counted \(String(describing: count)) keys")
            }
        }
        return [("upload-50", result)]
    }
}
