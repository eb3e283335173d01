import Hummingbird

/// `keyport-bench-hello PORT`: a bare Hummingbird server answering `GET /hello` with a fixed text,
/// nothing else. `bench/run.sh` loads it like the homeservers: what Hummingbird alone serves on this
/// machine is the ceiling the no-op scenarios are compared with.
@main
struct BenchHello {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 2, let port = Int(arguments[1]) else {
            print("usage: keyport-bench-hello PORT")
            return
        }
        let router = Router()
        router.get("hello") { _, _ in "Hello, world!" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await app.runService()
    }
}
