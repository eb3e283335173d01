import MatrixModel
import NIOConcurrencyHelpers

/// `claim`: many clients claiming one `signed_curve25519` key at a time from a pool of devices.
///
/// The pool never runs dry within a run: it holds `rateBound × duration` one-time keys (spread over
/// devices of `keysPerDevice` each, as servers cap a device's unclaimed keys), and the claims take
/// the devices in turn, so every device is emptied only after all of them have given that many keys.
/// A fallback key in an answer, or a run that reaches the end of the pool, is an error: the
/// scenario measures one-time-key claims only, never the cheaper fallback answer.
struct ClaimScenario {
    let users: BenchUsers
    let concurrency: Int
    let duration: Duration
    /// Claims per second the pool is sized for: far above what any server here reaches.
    let rateBound: Int
    let devicesPerOwner = 5
    let keysPerDevice = 500

    func run() async throws -> [(String, ScenarioResult)] {
        let seconds = Int(duration.components.seconds)
        let poolSize = rateBound * max(1, seconds)
        let deviceCount = (poolSize + keysPerDevice - 1) / keysPerDevice
        let ownerCount = (deviceCount + devicesPerOwner - 1) / devicesPerOwner
        var devices: [BenchDevice] = []
        for index in 0..<ownerCount { devices.append(try await users.register("claimowner\(index)")) }
        // Each owner's other devices log in, the owners in parallel.
        let users = users
        let (owners, perOwner) = (devices, devicesPerOwner)
        let others = try await withThrowingTaskGroup(of: [BenchDevice].self) { group in
            for (index, first) in owners.enumerated() {
                let count = Swift.min(perOwner, deviceCount - index * perOwner) - 1
                guard count > 0 else { continue }
                group.addTask { try await (0..<count).asyncMap { _ in try await users.login(first) } }
            }
            var made: [BenchDevice] = []
            for try await batch in group { made += batch }
            return made
        }
        devices += others
        let keysPerDevice = keysPerDevice
        // One upload per device: its device keys, a fallback key and all its one-time keys.
        try await forEach(devices, width: 8) { device in
            // 100 signed key objects, each under several key IDs: servers check the signature, not
            // that a key is unique, and signing every key would cost the generator seconds of CPU.
            let signed = try (0..<100).map { _ in try device.signedKey() }
            var keys: JSONObject = [:]
            for index in 0..<keysPerDevice { keys["signed_curve25519:k\(index)"] = signed[index % signed.count] }
            let reply = try await users.client.call(
                .post, "/keys/upload", token: device.token,
                body: [
                    "device_keys": try device.deviceKeys(),
                    "fallback_keys": ["signed_curve25519:FB": try device.signedKey(fallback: true)],
                    "one_time_keys": .object(keys),
                ])
            let count = reply["one_time_key_counts"]?["signed_curve25519"]?.intValue
            guard count == Int64(keysPerDevice) else {
                throw BenchClient.Failure(status: 200, body: "upload counted \(String(describing: count)) keys")
            }
        }
        let claimer = try await users.register("claimer")
        let client = users.client
        let targets = devices
        let pool = targets.count * keysPerDevice
        let next = NIOLockedValueBox(0)
        let fallbacks = NIOLockedValueBox(0)
        let recorder = LatencyRecorder()
        var result = await runTimed(workers: concurrency, duration: duration, recorder: recorder) { _, _ in
            let claim = next.withLockedValue { next in
                defer { next += 1 }
                return next
            }
            guard claim < pool else {
                throw BenchClient.Failure(status: 0, body: "the pool of \(pool) one-time keys ran out")
            }
            let device = targets[claim % targets.count]
            let reply = try await client.call(
                .post, "/keys/claim", token: claimer.token,
                body: ["one_time_keys": .object([device.userID: .object([device.deviceID: "signed_curve25519"])])])
            guard let keys = reply["one_time_keys"]?[device.userID]?[device.deviceID]?.objectValue,
                keys.count == 1, let (keyID, key) = keys.first, keyID.hasPrefix("signed_curve25519:"),
                key["key"]?.stringValue != nil
            else {
                throw BenchClient.Failure(status: 200, body: "no one-time key returned: \(reply)")
            }
            if key["fallback"] == true || keyID == "signed_curve25519:FB" {
                fallbacks.withLockedValue { $0 += 1 }
                throw BenchClient.Failure(status: 200, body: "a fallback key where one-time keys remained: \(keyID)")
            }
        }
        result.details = [
            "pool": pool, "claimed": min(pool, next.withLockedValue { $0 }),
            "fallback": fallbacks.withLockedValue { $0 },
        ]
        return [("claim", result)]
    }
}

extension Range where Bound == Int {
    /// The results of `body` for each value, one after the other.
    func asyncMap<T>(_ body: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for value in self { results.append(try await body(value)) }
        return results
    }
}
