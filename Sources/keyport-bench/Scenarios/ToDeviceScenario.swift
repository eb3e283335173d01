import Foundation
import MatrixModel

/// `todevice`: senders `PUT /sendToDevice` to recipients whose `/sync` long-polls collect the
/// messages; reports delivered messages per second and send-to-receive latency.
struct ToDeviceScenario {
    let users: BenchUsers
    let concurrency: Int
    let duration: Duration

    static func nowMilliseconds() -> Double { Date().timeIntervalSince1970 * 1000 }

    func run() async throws -> [(String, ScenarioResult)] {
        let recipientCount = max(2, concurrency / 2)
        var recipients: [BenchDevice] = []
        for index in 0..<recipientCount { recipients.append(try await users.register("recipient\(index)")) }
        let sender = try await users.register("sender")
        let client = users.client
        var positions: [String] = []
        for recipient in recipients {
            let reply = try await client.call(.get, "/sync?timeout=0&filter=" + Self.filter, token: recipient.token)
            positions.append(reply["next_batch"]?.stringValue ?? "")
        }
        let delivery = LatencyRecorder()
        let sends = LatencyRecorder()
        let sentCount = Counter()
        let stop = Flag()
        let seen = SeenSet()
        let senderID = sender.userID
        let listeners = Array(zip(recipients, positions))
        let receivers = Task { @Sendable in
            await withTaskGroup(of: Void.self) { group in
                for (recipient, start) in listeners {
                    group.addTask {
                        var since = start
                        while !(await stop.isSet) {
                            do {
                                let reply = try await client.call(
                                    .get, "/sync?timeout=5000&filter=\(Self.filter)&since=\(since)",
                                    token: recipient.token)
                                since = reply["next_batch"]?.stringValue ?? since
                                let now = Self.nowMilliseconds()
                                for event in reply["to_device"]?["events"]?.arrayValue ?? [] {
                                    // Each message counts once, and only as it was sent.
                                    guard event["type"] == "m.bench", event["sender"]?.stringValue == senderID,
                                        case .int(let sent) = event["content"]?["sent_ms"],
                                        let id = event["content"]?["id"]?.stringValue
                                    else {
                                        await delivery.recordError(
                                            BenchClient.Failure(status: 200, body: "unexpected event \(event)"))
                                        continue
                                    }
                                    guard await seen.insert(id) else {
                                        await delivery.recordError(
                                            BenchClient.Failure(status: 200, body: "message \(id) delivered twice"))
                                        continue
                                    }
                                    await delivery.record(milliseconds: now - Double(sent))
                                }
                            } catch {
                                await delivery.recordError(error)
                            }
                        }
                    }
                }
            }
        }
        let clock = ContinuousClock()
        let began = clock.now
        let targets = recipients
        let sendResult = await runTimed(workers: concurrency, duration: duration, recorder: sends) {
            worker, iteration in
            let recipient = targets[(worker + iteration) % targets.count]
            let id = "\(worker)-\(iteration)"
            let content: JSONValue = ["sent_ms": .int(Int64(Self.nowMilliseconds())), "id": .string(id)]
            let reply = try await client.call(
                .put, "/sendToDevice/m.bench/\(sender.deviceID)-\(id)", token: sender.token,
                body: ["messages": .object([recipient.userID: .object([recipient.deviceID: content])])])
            guard reply == .object([:]) else {
                throw BenchClient.Failure(status: 200, body: "unexpected answer \(reply)")
            }
            await sentCount.increment()
        }
        // Let the last messages arrive, then stop the receivers.
        let sent = await sentCount.value
        let deadline = clock.now + .seconds(15)
        while clock.now < deadline, await delivery.summary(seconds: 1, unit: "").count < sent {
            try await Task.sleep(for: .milliseconds(100))
        }
        let elapsed = (clock.now - began).milliseconds / 1000
        await stop.set()
        _ = await receivers.result
        var delivered = await delivery.summary(seconds: max(elapsed, sendResult.seconds), unit: "messages/s")
        if delivered.count < sent { delivered.firstError = "only \(delivered.count) of \(sent) delivered" }
        delivered.errors += sent - min(sent, delivered.count)
        return [("todevice-send", sendResult), ("todevice-delivery", delivered)]
    }

    /// Rooms are not part of this scenario.
    static let filter = "%7B%22room%22%3A%7B%22rooms%22%3A%5B%5D%7D%7D"
}

actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}

/// The IDs of the messages received so far.
actor SeenSet {
    private var ids: Set<String> = []
    /// False if `id` was there already.
    func insert(_ id: String) -> Bool { ids.insert(id).inserted }
}

actor Flag {
    private(set) var isSet = false
    func set() { isSet = true }
}
