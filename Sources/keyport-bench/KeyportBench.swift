import ArgumentParser
import Foundation

/// `keyport-bench`: a load generator that speaks only the Matrix client-server API, so it drives any
/// homeserver (Keyport, Synapse) by URL with the same scenarios and settings.
@main
struct KeyportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyport-bench", abstract: "Benchmark a Matrix homeserver's E2EE device-management hot paths.")

    @Option(
        help: """
            Homeserver base URL, e.g. http://127.0.0.1:8008. Repeat it for several processes of one server \
            (sharing one database): requests go to each in turn.
            """)
    var url: [String] = []

    @Option(help: "claim, query, upload, todevice or all.")
    var scenario: String = "all"

    @Option(help: "Concurrent clients.")
    var concurrency: Int = 16

    @Option(help: "Seconds each measurement runs.")
    var duration: Int = 10

    @Option(help: "Prefix for the users this run creates (must be new on the server).")
    var prefix: String = "b\(Int(Date().timeIntervalSince1970) % 1_000_000)_"

    @Option(help: "Name printed with each result line.")
    var label: String = "server"

    func validate() throws {
        guard !url.isEmpty else { throw ValidationError("give at least one --url") }
    }

    func run() async throws {
        let client = BenchClient(baseURLs: url, connections: concurrency * 2)
        let users = BenchUsers(client: client, prefix: prefix)
        let time = Duration.seconds(duration)
        let names =
            scenario == "all"
            ? ["claim", "query", "upload", "todevice"] : scenario.split(separator: ",").map(String.init)
        do {
            for name in names {
                let results: [(String, ScenarioResult)]
                switch name {
                case "claim":
                    results = try await ClaimScenario(users: users, concurrency: concurrency, duration: time).run()
                case "query":
                    results = try await QueryScenario(users: users, concurrency: concurrency, duration: time).run()
                case "upload":
                    results = try await UploadScenario(users: users, concurrency: concurrency, duration: time).run()
                case "todevice":
                    results = try await ToDeviceScenario(users: users, concurrency: concurrency, duration: time).run()
                default: throw ValidationError("unknown scenario \(name)")
                }
                for (scenarioName, result) in results { print(Self.line(label: label, scenario: scenarioName, result)) }
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// `RESULT label scenario throughput unit p50 p99 max count errors` plus the first error.
    static func line(label: String, scenario: String, _ result: ScenarioResult) -> String {
        let numbers = [result.throughput, result.p50, result.p99, result.max].map { String(format: "%.2f", $0) }
        var line = "RESULT \(label) \(scenario) \(numbers[0]) \(result.unit) \(numbers[1]) \(numbers[2]) \(numbers[3]) "
        line += "\(result.count) \(result.errors)"
        if let error = result.firstError { line += " # first error: \(error.prefix(200))" }
        return line
    }
}
