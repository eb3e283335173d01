import Foundation
import Hummingbird
import HummingbirdTesting
import KeyportServer
import MatrixModel
import Testing

/// `/metrics`: only on listeners configured for it, and counters that move by exactly what a
/// workload implies.
@Suite("Metrics")
struct MetricsTests {
    /// The scrape's text, or the status when it is not 200.
    static func scrape(_ client: MatrixClient) async throws -> (status: Int, text: String) {
        try await client.client.execute(uri: "/metrics", method: .get) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    /// The value of the sample whose name and labels are exactly `series` (0 when absent).
    static func value(_ series: String, in text: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? .nan
        }
        return 0
    }

    @Test("A listener without the metrics resource does not serve /metrics")
    func notServedByDefault() async throws {
        try await TestServer.run { client in
            let status = try await Self.scrape(client).status
            #expect(status == 404)
        }
    }

    @Test("A type: metrics listener serves /metrics and nothing else")
    func metricsOnlyListener() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.listeners = [.init(port: 0, servesMatrix: false, servesMetrics: true)]
        try await TestServer.run(config: config) { client in
            let (status, text) = try await Self.scrape(client)
            #expect(status == 200)
            #expect(text.contains("keyport_process_resident_memory_bytes"))
            #expect(Self.value("keyport_process_resident_memory_bytes", in: text) > 0)
            let versions = try await client.request(.get, "/_matrix/client/versions")
            #expect(versions.status == 404 && versions.errcode == "M_UNRECOGNIZED")
        }
    }

    @Test("Claims count one-time keys and fallback answers apart; requests count by route template")
    func countersFollowTheWorkload() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.listeners = [.init(port: 0, servesMatrix: true, servesMetrics: true)]
        try await TestServer.run(config: config) { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let keys = DeviceKeyFactory(alice)
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: [
                    "device_keys": keys.deviceKeys(),
                    "one_time_keys": [
                        "signed_curve25519:1": keys.signedKey(), "signed_curve25519:2": keys.signedKey(),
                    ],
                    "fallback_keys": ["signed_curve25519:FB": keys.signedKey(fallback: true)],
                ])
            let before = try await Self.scrape(client).text
            let body: JSONValue = [
                "one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])])
            ]
            for _ in 0..<5 { _ = try await client.client(.post, "/keys/claim", token: bob.token, body: body) }
            let after = try await Self.scrape(client).text
            func delta(_ series: String) -> Double { Self.value(series, in: after) - Self.value(series, in: before) }
            #expect(delta(#"keyport_keys_claimed_total{kind="one_time_key"}"#) == 2)
            #expect(delta(#"keyport_keys_claimed_total{kind="fallback"}"#) == 3)
            let claims =
                #"keyport_http_requests_total{route="/_matrix/client/v3/keys/claim",method="POST",status="200"}"#
            #expect(delta(claims) == 5, "\(after)")
            #expect(
                after.contains(#"keyport_http_request_duration_seconds_bucket{route="/_matrix/client/v3/keys/claim""#))
            // Each claim is one write transaction. The in-flight gauges come back to 0 once the work
            // is done: background rounds (the federation sender's poll) may be reading at any one
            // scrape, but a gauge that leaked a count would never read 0 again.
            #expect(delta(#"keyport_db_transaction_duration_seconds_count{kind="write"}"#) >= 5)
            var inFlight: (write: Double, read: Double) = (-1, -1)
            for _ in 0..<50 {
                let text = try await Self.scrape(client).text
                inFlight = (
                    Self.value(#"keyport_db_transactions_in_flight{kind="write"}"#, in: text),
                    Self.value(#"keyport_db_transactions_in_flight{kind="read"}"#, in: text)
                )
                if inFlight == (0, 0) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(inFlight.write == 0 && inFlight.read == 0, "in flight after the workload: \(inFlight)")
        }
    }
}

/// `/sync` waiters and wake-ups.
@Suite("Metrics: sync")
struct SyncMetricsTests {
    @Test("A waiting /sync is counted while it waits, and a wake-up when a message ends the wait")
    func waitersAndWakeups() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.listeners = [.init(port: 0, servesMatrix: true, servesMetrics: true)]
        try await TestServer.run(config: config) { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let since = try #require(
                try await client.client(.get, "/sync?timeout=0", token: alice.token)["next_batch"]?.stringValue)
            let before = try await MetricsTests.scrape(client).text
            let after = try await client.withExtraConnection { connection in
                async let waiting = connection.send(.get, "/sync?timeout=20000&since=\(since)", token: alice.token)
                var during = try await MetricsTests.scrape(client).text
                let deadline = ContinuousClock.now + .seconds(10)
                while MetricsTests.value("keyport_sync_waiting", in: during) < 1, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    during = try await MetricsTests.scrape(client).text
                }
                #expect(MetricsTests.value("keyport_sync_waiting", in: during) == 1)
                _ = try await client.client(
                    .put, "/sendToDevice/m.test/t1", token: bob.token,
                    body: ["messages": .object([alice.userID: .object([alice.deviceID: ["n": 1]])])])
                let answer = try await waiting
                #expect(answer["to_device"]?["events"]?.arrayValue?.count == 1)
                // Handed out but not acknowledged yet: still pending until the next sync says so.
                let delivered = try await MetricsTests.scrape(client).text
                #expect(MetricsTests.value("keyport_to_device_pending", in: delivered) == 1)
                let next = try #require(answer["next_batch"]?.stringValue)
                _ = try await client.client(.get, "/sync?timeout=0&since=\(next)", token: alice.token)
                return try await MetricsTests.scrape(client).text
            }
            #expect(MetricsTests.value("keyport_sync_waiting", in: after) == 0)
            #expect(MetricsTests.value("keyport_to_device_pending", in: after) == 0)
            #expect(
                MetricsTests.value("keyport_sync_wakeups_total", in: after)
                    - MetricsTests.value("keyport_sync_wakeups_total", in: before) == 1)
        }
    }
}

/// `GET /health`: 200 while the database answers, 503 while it cannot be reached, 200 again after.
@Suite("Health")
struct HealthTests {
    static func health(_ client: MatrixClient) async throws -> (status: Int, text: String) {
        try await client.client.execute(uri: "/health", method: .get) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    @Test("Health follows the database: 200, 503 while its file is gone, 200 when it is back")
    func followsTheDatabase() async throws {
        let directory = TestServer.temporaryDirectory()
        let config = TestServer.config(dataDirectory: directory)
        try await TestServer.run(config: config) { client in
            let up = try await Self.health(client)
            #expect(up.status == 200 && up.text == "OK")
            let database = "\(directory)/keyport.db"
            let aside = database + ".moved"
            try FileManager.default.moveItem(atPath: database, toPath: aside)
            let down = try await Self.health(client)
            #expect(down.status == 503)
            try FileManager.default.moveItem(atPath: aside, toPath: database)
            let back = try await Self.health(client)
            #expect(back.status == 200 && back.text == "OK")
        }
    }

    @Test("A metrics-only listener answers /health too")
    func metricsListener() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.listeners = [.init(port: 0, servesMatrix: false, servesMetrics: true)]
        try await TestServer.run(config: config) { client in
            let status = try await Self.health(client).status
            #expect(status == 200)
        }
    }
}
