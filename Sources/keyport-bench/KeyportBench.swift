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

    @Option(
        help: """
            Comma-separated: claim, query, upload, todevice, noop (GET /account/whoami and /versions), \
            hello (a keyport-bench-hello server), fanout (Keyport only: a device change to many federation \
            servers), or all (every one but hello and fanout).
            """)
    var scenario: String = "all"

    @Option(help: "Concurrent clients.")
    var concurrency: Int = 16

    @Option(help: "Concurrent clients for some scenarios, e.g. claim=32,query=8 (the rest take --concurrency).")
    var scenarioConcurrency: String = ""

    @Option(help: "Seconds each measurement runs.")
    var duration: Int = 10

    @Option(help: "Claims per second the claim scenario's pool of one-time keys is sized for.")
    var claimRateBound: Int = 25_000

    @Option(help: "Prefix for the users this run creates (must be new on the server).")
    var prefix: String = "b\(Int(Date().timeIntervalSince1970) % 1_000_000)_"

    @Option(help: "Name printed with each result line.")
    var label: String = "server"

    @Option(help: "fanout: the Keyport server's SQLite file, where the stub servers' memberships are written.")
    var fanoutDatabase: String?

    @Option(help: "fanout: the folder of the CA made by --make-fanout-ca (Keyport's federation_custom_ca_list).")
    var fanoutCertificates: String?

    @Option(help: "fanout: comma-separated destination counts, measured in turn.")
    var fanoutDestinations: String = "1000,10000"

    @Option(help: "fanout: device renames timed per destination count: one number for every count, or one per count.")
    var fanoutRounds: String = "2"

    @Option(help: "fanout: seconds to wait after the largest count before sampling the memory again (0: none).")
    var fanoutIdleWait: Int = 0

    @Option(help: "The server's process ID, for its resident memory in the fanout scenario's DETAIL line.")
    var serverPID: Int?

    @Option(help: "Write the fan-out scenario's CA into this folder and exit (before the server starts).")
    var makeFanoutCA: String?

    static let allScenarios = ["claim", "query", "upload", "todevice", "noop"]

    func validate() throws {
        if makeFanoutCA != nil { return }
        if scenarioNames.contains("fanout") {
            guard fanoutDatabase != nil, fanoutCertificates != nil else {
                throw ValidationError("fanout needs --fanout-database and --fanout-certificates")
            }
            guard !fanoutCounts.isEmpty, fanoutCounts.allSatisfy({ $0 > 0 && $0 <= 250 * 250 }),
                let rounds = fanoutRoundsByCount, rounds.values.allSatisfy({ $0 > 0 })
            else {
                throw ValidationError(
                    "--fanout-destinations takes counts from 1 to 62,500; --fanout-rounds one number of at least 1, or one per count"
                )
            }
        }
        guard !url.isEmpty else { throw ValidationError("give at least one --url") }
        for name in scenarioNames where !(Self.allScenarios + ["hello", "fanout"]).contains(name) {
            throw ValidationError("unknown scenario \(name)")
        }
        _ = try concurrencies()
    }

    var fanoutCounts: [Int] { fanoutDestinations.split(separator: ",").compactMap { Int($0) } }

    /// `--fanout-rounds` for each destination count, in the order the counts were given; nil when
    /// it is neither one number nor one per count.
    var fanoutRoundsByCount: [Int: Int]? {
        let rounds = fanoutRounds.split(separator: ",").map { Int($0) }
        guard !rounds.contains(nil) else { return nil }
        let counts = fanoutCounts
        if rounds.count == 1 { return Dictionary(counts.map { ($0, rounds[0]!) }, uniquingKeysWith: { $1 }) }
        guard rounds.count == counts.count else { return nil }
        return Dictionary(zip(counts, rounds.map { $0! }), uniquingKeysWith: { $1 })
    }

    var scenarioNames: [String] {
        scenario == "all" ? Self.allScenarios : scenario.split(separator: ",").map(String.init)
    }

    func concurrencies() throws -> [String: Int] {
        var result: [String: Int] = [:]
        for item in scenarioConcurrency.split(separator: ",") {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let value = Int(parts[1]), value > 0 else {
                throw ValidationError("--scenario-concurrency takes NAME=N,…; not \(item)")
            }
            result[String(parts[0])] = value
        }
        return result
    }

    /// Prints a `RESULT` line (and a `DETAIL` line where the scenario counted more) per measurement;
    /// exits with 1 if any measurement had errors, after all of them ran.
    func run() async throws {
        if let makeFanoutCA {
            try FanOutCertificates.makeAuthority(in: makeFanoutCA)
            return
        }
        let client = BenchClient(baseURLs: url, connections: concurrency * 2)
        let users = BenchUsers(client: client, prefix: prefix)
        let time = Duration.seconds(duration)
        let widths = try concurrencies()
        var failed = false
        do {
            for name in scenarioNames {
                let width = widths[name] ?? concurrency
                let results: [(String, ScenarioResult)]
                switch name {
                case "claim":
                    results = try await ClaimScenario(
                        users: users, concurrency: width, duration: time, rateBound: claimRateBound
                    ).run()
                case "query":
                    results = try await QueryScenario(users: users, concurrency: width, duration: time).run()
                case "upload":
                    results = try await UploadScenario(users: users, concurrency: width, duration: time).run()
                case "todevice":
                    results = try await ToDeviceScenario(users: users, concurrency: width, duration: time).run()
                case "fanout":
                    results = try await FanOutScenario(
                        users: users, databasePath: fanoutDatabase ?? "",
                        certificateDirectory: fanoutCertificates ?? "",
                        destinationCounts: fanoutCounts, rounds: fanoutRoundsByCount ?? [:], serverPID: serverPID,
                        idleWait: fanoutIdleWait
                    ).run()
                case "noop":
                    results = try await CeilingScenario(users: users, concurrency: width, duration: time).runNoOps()
                default:
                    results = await CeilingScenario(users: users, concurrency: width, duration: time).runHello()
                }
                for (scenarioName, result) in results {
                    print(Self.line(label: label, scenario: scenarioName, result))
                    if !result.details.isEmpty {
                        let details = result.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                        print("DETAIL \(label) \(scenarioName) " + details.joined(separator: " "))
                    }
                    failed = failed || result.errors > 0 || result.count == 0
                }
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
        if failed { throw ExitCode(1) }
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
