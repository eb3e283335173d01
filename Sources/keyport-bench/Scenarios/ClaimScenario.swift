import MatrixModel

/// `claim`: many clients claiming one-time keys from a pool of devices that hold plenty of them.
struct ClaimScenario {
    let users: BenchUsers
    let concurrency: Int
    let duration: Duration
    let owners = 10
    let devicesPerOwner = 5
    let keysPerDevice = 500

    func run() async throws -> [(String, ScenarioResult)] {
        var devices: [BenchDevice] = []
        for index in 0..<owners {
            let first = try await users.register("claimowner\(index)")
            devices.append(first)
            for _ in 1..<devicesPerOwner { devices.append(try await users.login(first)) }
        }
        let keysPerDevice = keysPerDevice
        try await forEach(devices, width: 4) { device in
            try await users.client.call(
                .post, "/keys/upload", token: device.token,
                body: [
                    "device_keys": try device.deviceKeys(),
                    "fallback_keys": ["signed_curve25519:FB": try device.signedKey(fallback: true)],
                ])
            for batch in 0..<(keysPerDevice / 100) {
                var keys: JSONObject = [:]
                for index in 0..<100 { keys["signed_curve25519:k\(batch)_\(index)"] = try device.signedKey() }
                try await users.client.call(
                    .post, "/keys/upload", token: device.token, body: ["one_time_keys": .object(keys)])
            }
        }
        let claimer = try await users.register("claimer")
        let client = users.client
        let targets = devices
        let recorder = LatencyRecorder()
        let result = await runTimed(workers: concurrency, duration: duration, recorder: recorder) { worker, iteration in
            let device = targets[(worker * 7919 + iteration) % targets.count]
            let reply = try await client.call(
                .post, "/keys/claim", token: claimer.token,
                body: ["one_time_keys": .object([device.userID: .object([device.deviceID: "signed_curve25519"])])])
            guard reply["one_time_keys"]?[device.userID]?[device.deviceID]?.objectValue?.isEmpty == false else {
                throw BenchClient.Failure(status: 200, body: "no key returned: \(reply)")
            }
        }
        return [("claim", result)]
    }
}
