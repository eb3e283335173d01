import ArgumentParser
import Foundation
import Hummingbird
import KeyportServer
import Logging

@main
struct Keyport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A Matrix server for end-to-end-encryption device management.",
        subcommands: [Serve.self, GenerateConfig.self])
}

/// `keyport serve [--config FILE]`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @Option(
        name: .long,
        help: "YAML configuration file. Without it: localhost:8008 on 127.0.0.1:8008, SQLite under ./keyport-data.")
    var config: String?

    func run() async throws {
        let settings: KeyportConfig
        if let config {
            do {
                let text = try String(contentsOfFile: config, encoding: .utf8)
                let (parsed, warnings) = try KeyportConfig.parse(yaml: text)
                for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
                settings = parsed
            } catch let error as ConfigError {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(2)
            } catch {
                FileHandle.standardError.write(Data("Invalid configuration: cannot read \(config): \(error)\n".utf8))
                throw ExitCode(2)
            }
        } else {
            settings = .development()
        }
        var logger = Logger(label: "keyport")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
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
