import ArgumentParser
import Hummingbird
import KeyportServer
import Logging

#if os(Linux)
    /// glibc's `mallopt` (from malloc.h, which the Glibc module does not export).
    @_silgen_name("mallopt")
    private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
    /// `M_ARENA_MAX` from malloc.h.
    private let mallocArenaMax: Int32 = -8
    /// glibc's `malloc_trim`: gives free pages of every arena back to the system.
    @_silgen_name("malloc_trim")
    private func mallocTrim(_ pad: Int) -> Int32
#endif

@main
struct Keyport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A Matrix server for end-to-end-encryption device management.",
        subcommands: [Serve.self, GenerateConfig.self, Events.self, MigrateSQLiteToPostgres.self])
}

/// `keyport serve [--config FILE]`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @Option(
        name: .long,
        help: "YAML configuration file. Without it: localhost:8008 on 127.0.0.1:8008, SQLite under ./keyport-data.")
    var config: String?

    func run() async throws {
        #if os(Linux)
            // glibc gives every thread that allocates its own arena; on a many-threaded server
            // that multiplies idle memory. Two arenas are plenty for NIO's few threads.
            _ = mallopt(mallocArenaMax, 2)
            // glibc returns freed memory only from the top of the main heap. After a burst of
            // large answers (a 1,000-device key query is ~600 KB) the arenas keep ~20 MB of free
            // pages; trimming every few seconds gives them back. One call takes well under 1 ms.
            Task.detached(priority: .background) {
                while true {
                    try? await Task.sleep(for: .seconds(5))
                    _ = mallocTrim(0)
                }
            }
        #endif
        let settings = try config.map(ConfigFile.load) ?? .development()
        var logger =
            settings.logFormat == "json"
            ? Logger(label: "keyport", factory: { label in JSONLogHandler.standardError(label: label) })
            : Logger(label: "keyport")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        if let instance = settings.instanceName { logger[metadataKey: "instance"] = "\(instance)" }
        let app = try KeyportApplication.build(config: settings, logger: logger)
        logger.notice(
            "Keyport serving \(settings.serverName) on \(settings.listeners[0].bindAddresses[0]):\(settings.listeners[0].port)"
        )
        try await app.runService()
    }
}

/// `keyport generate-config --server-name NAME`.
struct GenerateConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-config", abstract: "Print a starting configuration.")

    @Option(name: .long, help: "The server name, e.g. example.org or localhost:8448.")
    var serverName: String

    func run() throws {
        print(KeyportConfig.generateYAML(serverName: serverName), terminator: "")
    }
}
