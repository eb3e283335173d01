import MatrixModel

/// `upload`: devices uploading batches of 50 signed one-time keys.
struct UploadScenario {
    let users: BenchUsers
    let concurrency: Int
    let duration: Duration

    func run() async throws -> [(String, ScenarioResult)] {
        let owner = try await users.register("uploader")
        var devices = [owner]
        for _ in 1..<concurrency { devices.append(try await users.login(owner)) }
        try await users.uploadDeviceKeys(devices)
        // Each device signs 50 key objects once; every batch uploads them under fresh key IDs.
        let batches = try devices.map { device in try (0..<50).map { _ in try device.signedKey() } }
        let client = users.client
        let uploaders = devices
        let result = await runTimed(workers: concurrency, duration: duration, recorder: LatencyRecorder()) {
            worker, iteration in
            var keys: JSONObject = [:]
            for (index, key) in batches[worker].enumerated() { keys["signed_curve25519:i\(iteration)k\(index)"] = key }
            try await client.call(
                .post, "/keys/upload", token: uploaders[worker].token, body: ["one_time_keys": .object(keys)])
        }
        return [("upload-50", result)]
    }
}
