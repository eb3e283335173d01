import ArgumentParser
import Foundation
import KeyportServer

/// The `--config` file of a command: its warnings go to standard error; a file that cannot be
/// read or is invalid stops the command with a message and exit status 2.
enum ConfigFile {
    static func load(_ path: String) throws -> KeyportConfig {
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var (parsed, warnings) = try KeyportConfig.parse(yaml: text)
            for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            try parsed.loadApplicationServices()
            return parsed
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        } catch {
            FileHandle.standardError.write(Data("Invalid configuration: cannot read \(path): \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
