import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Runs `body` with a ``RecordingHTTPServer`` answering every request with `answer`, and stops the
/// server afterwards, also when `body` throws.
public func withRecordingHTTPServer<Result>(
    answer: @escaping @Sendable (RecordedHTTPRequest) -> StaticHTTPServer.Response,
    _ body: (RecordingHTTPServer) async throws -> Result
) async throws -> Result {
    let server = try await RecordingHTTPServer.start(answer: answer)
    return try await withOwned(server, release: { await $0.stop() }, body)
}

/// One request as a ``RecordingHTTPServer`` received it.
public struct RecordedHTTPRequest: Sendable {
    public var method: String
    /// The request target exactly as it arrived: path and query, still percent-encoded.
    public var target: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first value of the header `name` (compared without case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The target before `?`.
    public var path: String { String(target.prefix { $0 != "?" }) }
    /// The target after `?`, if there is one.
    public var query: String? {
        target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) }
    }
}

/// A small HTTP/1.1 server on 127.0.0.1 that records every request (method, target as sent,
/// body) and answers it with what a closure returns, then closes the connection. A response
/// that sets its own `Content-Length` is sent with it as given, so a test can announce more
/// bytes than it sends. Tests get one through ``withRecordingHTTPServer(answer:_:)``.
public final class RecordingHTTPServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let log: RequestLog

    /// Every request received so far, in order.
    public var requests: [RecordedHTTPRequest] { log.requests.withLock { $0 } }

    private init(port: Int, channel: any Channel, log: RequestLog) {
        self.port = port
        self.channel = channel
        self.log = log
    }

    static func start(answer: @escaping @Sendable (RecordedHTTPRequest) -> StaticHTTPServer.Response) async throws
        -> RecordingHTTPServer
    {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RecordingHTTPHandler(log: log, answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        return RecordingHTTPServer(port: port, channel: channel, log: log)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// The requests a server received, shared by its connections.
final class RequestLog: Sendable {
    let requests = Mutex<[RecordedHTTPRequest]>([])
}

/// Collects one request, records it and writes the answer.
private final class RecordingHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let log: RequestLog
    private let answer: @Sendable (RecordedHTTPRequest) -> StaticHTTPServer.Response
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(log: RequestLog, answer: @escaping @Sendable (RecordedHTTPRequest) -> StaticHTTPServer.Response) {
        self.log = log
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
        case .body(var chunk):
            body += chunk.readBytes(length: chunk.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = RecordedHTTPRequest(
                method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: body)
            log.requests.withLock { $0.append(request) }
            respond(context: context, with: answer(request))
        }
    }

    private func respond(context: ChannelHandlerContext, with response: StaticHTTPServer.Response) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Connection", "close")])
        for header in response.headers { headers.add(name: header.name, value: header.value) }
        if !headers.contains(name: "Content-Length") {
            headers.add(name: "Content-Length", value: "\(response.body.utf8.count)")
        }
        let status = HTTPResponseStatus(statusCode: response.status)
        let responseHead = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
