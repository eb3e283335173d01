import Foundation
import KeyportStoreSQLite
import MatrixModel

/// How long a local user's device change takes to reach every server it shares a room with.
///
/// The servers are stub federation receivers on loopback (``FanOutReceiver``), one server name per
/// address, `127.0.G.H:PORT`. Each gets a room of its own with one user in it and the benchmark's
/// user: the memberships are written into Keyport's SQLite file through its store (the rows a
/// federated join writes), and Keyport tells each server about the user's device (the warm-up,
/// waited for). Then the user renames its device as many times as `rounds` gives for the count;
/// each round is timed from the request to the first arrival of the new name at each server. The
/// destination counts are measured in turn (1,000, then 10,000: the rooms of the first stay).
///
/// Result per count: latencies of every arrival of every round, EDUs per second (arrivals over
/// the rounds' time), max = the slowest round's last arrival; an arrival missing after the
/// round's timeout is an error. DETAIL: each round's last arrival, the warm-up and seeding times,
/// and the server's resident memory (`--server-pid`) before and after the rounds, and, with
/// `--fanout-idle-wait`, that long after the largest count (once idle connections have closed).
struct FanOutScenario {
    let users: BenchUsers
    let databasePath: String
    let certificateDirectory: String
    let destinationCounts: [Int]
    /// Device renames timed for each destination count.
    let rounds: [Int: Int]
    let serverPID: Int?
    /// Seconds to wait after the largest count before sampling the memory again (0: no sample).
    let idleWait: Int

    func run() async throws -> [(String, ScenarioResult)] {
        let device = try await users.register("fanout")
        let largest = destinationCounts.max() ?? 0
        let subnets = UInt8(1)...UInt8((largest + 249) / 250)
        let receiver = try await FanOutReceiver(
            certificates: try FanOutCertificates(directory: certificateDirectory), subnets: subnets)
        let store = try SQLiteStore(path: databasePath)
        let clock = ContinuousClock()
        var results: [(String, ScenarioResult)] = []
        var seeded = 0
        let baseline = Self.residentKiB(serverPID)
        for count in destinationCounts.sorted() {
            var details: [String: Int] = ["rss_before_kib": baseline]
            let seedStart = clock.now
            for index in seeded..<count {
                let room = "!fanout\(index)-\(users.prefix):bench"
                _ = try await store.setMembership(roomID: room, userID: device.userID, membership: "join")
                _ = try await store.setMembership(
                    roomID: room, userID: "@fan:\(Self.destination(index, port: receiver.port))", membership: "join")
            }
            seeded = max(seeded, count)
            details["seed_ms"] = Int((clock.now - seedStart).milliseconds)
            let warmStart = clock.now
            let warmDeadline = warmStart + .seconds(max(120, count / 20))
            while receiver.receipts.updatedCount < count, clock.now < warmDeadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            details["warmup_ms"] = Int((clock.now - warmStart).milliseconds)
            guard receiver.receipts.updatedCount >= count else {
                results.append(
                    (
                        "fanout-\(count)",
                        Self.failure(
                            "only \(receiver.receipts.updatedCount) of \(count) servers heard of the device before the warm-up timed out",
                            details)
                    ))
                continue
            }
            let recorder = LatencyRecorder()
            var measured = Duration.zero
            var missing = 0
            for round in 1...(rounds[count] ?? 1) {
                let name = "fanout-\(count)-\(round)-\(users.prefix)"
                let start = clock.now
                try await users.client.call(
                    .put, "/devices/\(device.deviceID)", token: device.token, body: ["display_name": .string(name)])
                let deadline = start + .seconds(max(60, count / 50))
                while receiver.receipts.arrivalCount(of: name) < count, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                let arrivals = receiver.receipts.arrivals(of: name)
                let latencies = arrivals.values.map { ($0 - start).milliseconds }
                for latency in latencies { await recorder.record(milliseconds: latency) }
                let last = latencies.max() ?? 0
                measured += .milliseconds(last)
                missing += count - arrivals.count
                details["round\(round)_last_ms"] = Int(last)
                // The first arrival: the fan-out itself (stream read, room lookup, queueing) is before it.
                details["round\(round)_first_ms"] = Int(latencies.min() ?? 0)
                try await Task.sleep(for: .milliseconds(500))
            }
            details["rss_after_kib"] = Self.residentKiB(serverPID)
            if count == destinationCounts.max(), idleWait > 0 {
                // AsyncHTTPClient closes a connection idle for 60 s: what stays after that.
                try await Task.sleep(for: .seconds(idleWait))
                details["rss_idle_kib"] = Self.residentKiB(serverPID)
            }
            let totals = receiver.receipts.totals
            details["transactions_total"] = totals.transactions
            details["edus_total"] = totals.edus
            var result = await recorder.summary(seconds: measured.milliseconds / 1000, unit: "EDUs/s")
            result.errors = missing
            if missing > 0 { result.firstError = "\(FanOutMissing(count: missing))" }
            result.details = details
            results.append(("fanout-\(count)", result))
        }
        await receiver.close()
        return results
    }

    /// The server name of destination `index`: `127.0.G.H:port`, G from 1, H from 1 to 250.
    static func destination(_ index: Int, port: Int) -> String {
        "127.0.\(1 + index / 250).\(1 + index % 250):\(port)"
    }

    /// The process's resident memory in KiB (0 without a process).
    static func residentKiB(_ pid: Int?) -> Int {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            return 0
        }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
            ?? 0
    }

    private static func failure(_ message: String, _ details: [String: Int]) -> ScenarioResult {
        ScenarioResult(
            count: 0, errors: 1, seconds: 0, throughput: 0, unit: "EDUs/s", p50: 0, p99: 0, max: 0,
            firstError: message, details: details)
    }
}

struct FanOutMissing: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) arrivals missing when their round timed out" }
}
