/// Collects request latencies and errors from many workers.
actor LatencyRecorder {
    private var samples: [Double] = []
    private(set) var errors = 0
    private var firstError: String?

    func record(milliseconds: Double) {
        samples.append(milliseconds)
    }

    func recordError(_ error: any Error) {
        errors += 1
        if firstError == nil { firstError = "\(error)" }
    }

    func summary(seconds: Double, unit: String) -> ScenarioResult {
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        return ScenarioResult(
            count: sorted.count, errors: errors, seconds: seconds,
            throughput: Double(sorted.count) / max(seconds, 0.001),
            unit: unit, p50: percentile(0.50), p99: percentile(0.99), max: sorted.last ?? 0, firstError: firstError)
    }
}

/// What one scenario measured.
struct ScenarioResult: Sendable {
    var count: Int
    var errors: Int
    var seconds: Double
    var throughput: Double
    var unit: String
    var p50: Double
    var p99: Double
    var max: Double
    var firstError: String?
    /// Counts a scenario reports besides its latencies (printed as a `DETAIL` line).
    var details: [String: Int] = [:]
}

/// Runs `workers` loops of `body` until `duration` has passed, timing each call.
func runTimed(
    workers: Int, duration: Duration, recorder: LatencyRecorder, unit: String = "requests/s",
    _ body: @escaping @Sendable (_ worker: Int, _ iteration: Int) async throws -> Void
) async -> ScenarioResult {
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = start + duration
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            group.addTask {
                var iteration = 0
                while clock.now < deadline {
                    let began = clock.now
                    do {
                        try await body(worker, iteration)
                        await recorder.record(milliseconds: (clock.now - began).milliseconds)
                    } catch is StopWorker {
                        break
                    } catch {
                        await recorder.recordError(error)
                    }
                    iteration += 1
                }
            }
        }
    }
    return await recorder.summary(seconds: (clock.now - start).milliseconds / 1000, unit: unit)
}

/// Thrown by a scenario's body when its client has nothing left to do.
struct StopWorker: Error {}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
