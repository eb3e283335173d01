import NIOCore
import NIOPosix
import NIOSSL

/// Runs `body` with a ``StaticHTTPServer`` serving `routes` (over TLS with `tls`) and stops the
/// server afterwards, also when `body` throws.
public func withStaticHTTPServer<Result>(
    routes: [String: StaticHTTPServer.Response], tls: TLSConfiguration? = nil,
    _ body: (StaticHTTPServer) async throws -> Result
) async throws -> Result {
    let server = try await StaticHTTPServer.start(
        routes: routes, tls: try tls.map { try NIOSSLContext(configuration: $0) })
    return try await withOwned(server, release: { await $0.stop() }, body)
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request path with a fixed response and
/// closes the connection; unknown paths get 404. Tests get one through ``withStaticHTTPServer``.
public final class StaticHTTPServer: Sendable {
    public struct Response: Sendable {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: String

        public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    public let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    static func start(routes: [String: Response], tls: NIOSSLContext?) async throws -> StaticHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(StaticHTTPHandler(routes: routes))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        return StaticHTTPServer(port: port, channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Reads one request head and writes the route's response.
private final class StaticHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let routes: [String: StaticHTTPServer.Response]
    private var received = ""
    private var answered = false

    init(routes: [String: StaticHTTPServer.Response]) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readString(length: buffer.readableBytes) ?? ""
        // Anything but an HTTP request line (such as a TLS ClientHello) is not waited on.
        guard received.first?.isUppercase ?? true else {
            context.close(promise: nil)
            return
        }
        guard !answered, received.contains("\r\n\r\n") else { return }
        answered = true
        let requestLine = received.prefix { $0 != "\r" }.split(separator: " ")
        let path = requestLine.count > 1 ? String(requestLine[1]) : "/"
        let response = routes[path] ?? StaticHTTPServer.Response(status: 404)
        var head = "HTTP/1.1 \(response.status) Status\r\nContent-Length: \(response.body.utf8.count)\r\n"
        head += "Content-Type: application/json\r\nConnection: close\r\n"
        for header in response.headers { head += "\(header.name): \(header.value)\r\n" }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head + "\r\n" + response.body)))
            .whenComplete { _ in channel.close(promise: nil) }
    }
}
