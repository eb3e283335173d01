import Foundation
import KeyportFederation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `body` with a dnsmasq serving `srvHosts` (see ``DNSMasqServer``) and kills it afterwards,
/// also when `body` throws. Throws when dnsmasq is missing or does not answer `probe`.
public func withDNSMasq<Result>(
    srvHosts: [String],
    probe: String,
    _ body: (DNSMasqServer) async throws -> Result
) async throws -> Result {
    let server = try await DNSMasqServer.start(srvHosts: srvHosts, probe: probe)
    return try await withOwned(server, release: { $0.stop() }, body)
}

/// A dnsmasq process answering on 127.0.0.1 with fixed SRV records: the real DNS server of the
/// interop step, which checks that our DNS client reads another implementation's answers. Every
/// other test uses the in-process ``DNSResponder``. Names under `.test` that it has no records for
/// get NXDOMAIN.
///
/// dnsmasq comes from the Debian package `dnsmasq-base`. Starting fails (and so does the test)
/// when it is missing or does not answer. Tests get one through ``withDNSMasq(srvHosts:probe:_:)``.
///
/// The process is started with `posix_spawn` rather than Foundation's `Process`: on Linux,
/// `Process` hands children a signal mask that blocks SIGTERM, and its `waitUntilExit` blocks a
/// cooperative thread while its single reaper thread waits on one child at a time, which
/// deadlocks tests running in parallel on a small machine.
public final class DNSMasqServer {
    public let port: Int
    private let pid: pid_t
    private var exited = false

    private init(port: Int, pid: pid_t) {
        self.port = port
        self.pid = pid
    }

    /// Starts dnsmasq on a free high port with `--srv-host` entries, and waits until it answers
    /// an SRV query for `probe` with at least one record.
    static func start(srvHosts: [String], probe: String) async throws -> DNSMasqServer {
        let executable = try locateExecutable()
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("dnsmasq-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        var failures: [String] = []
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...60_000)
            // --no-daemon also keeps dnsmasq from writing a pid file or changing user when run as root.
            let arguments =
                [
                    executable, "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--listen-address=127.0.0.1", "--bind-interfaces", "--port=\(port)", "--local=/test/",
                ] + srvHosts.map { "--srv-host=\($0)" }
            let server = DNSMasqServer(port: port, pid: try spawn(arguments, stderrPath: logPath))
            if await server.waitUntilAnswering(probe) { return server }
            server.stop()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            failures.append("port \(port): \(log)")
        }
        throw DNSMasqServerError(message: "dnsmasq did not start: " + failures.joined(separator: "\n"))
    }

    /// A client asking only this server.
    public func client(timeout: Duration = .seconds(2)) -> DNSClient {
        DNSClient(nameservers: [("127.0.0.1", port)], timeout: timeout)
    }

    /// Kills dnsmasq and reaps it.
    func stop() {
        guard !exited else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        exited = true
    }

    /// Whether the process has exited (reaping it if so).
    private func hasExited() -> Bool {
        var status: Int32 = 0
        if !exited, waitpid(pid, &status, WNOHANG) == pid { exited = true }
        return exited
    }

    private func waitUntilAnswering(_ probe: String) async -> Bool {
        for _ in 0..<50 {
            if hasExited() { return false }
            if let records = try? await client(timeout: .milliseconds(200)).lookupSRV(probe), !records.isEmpty {
                return true
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Starts `arguments[0]` with default signal handling and an empty signal mask, stdout to
    /// /dev/null and stderr to `stderrPath`.
    private static func spawn(_ arguments: [String], stderrPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv = arguments.map { strdup($0) }
        defer {
            for argument in argv { free(argument) }
        }
        argv.append(nil)
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw DNSMasqServerError(message: "cannot start \(arguments[0]): error \(result)")
        }
        return pid
    }

    private static func locateExecutable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = ["/usr/sbin", "/usr/local/sbin", "/sbin"] + path.split(separator: ":").map(String.init)
        for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/dnsmasq") {
            return directory + "/dnsmasq"
        }
        throw DNSMasqServerError(message: "dnsmasq not found: install the Debian package dnsmasq-base")
    }
}

public struct DNSMasqServerError: Error, CustomStringConvertible {
    var message: String
    public var description: String { message }
}
