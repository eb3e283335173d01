import MatrixModel
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What the stub servers saw: when each destination first received a device-list update carrying
/// a given device display name, and how many transactions and EDUs arrived in all.
final class FanOutReceipts: Sendable {
    private struct State {
        /// display name → destination (the `Host` the sender named) → first arrival.
        var firstSeen: [String: [String: ContinuousClock.Instant]] = [:]
        /// destination → whether any device-list update reached it.
        var updated: Set<String> = []
        var transactions = 0
        var edus = 0
    }
    private let state = NIOLockedValueBox(State())

    func record(destination: String, displayNames: [String], eduCount: Int, at instant: ContinuousClock.Instant) {
        state.withLockedValue { state in
            state.transactions += 1
            state.edus += eduCount
            guard !displayNames.isEmpty else { return }
            state.updated.insert(destination)
            for name in displayNames where state.firstSeen[name]?[destination] == nil {
                state.firstSeen[name, default: [:]][destination] = instant
            }
        }
    }

    /// Destinations that have received any device-list update.
    var updatedCount: Int { state.withLockedValue { $0.updated.count } }

    /// How many destinations have received an update naming `displayName`: what a round polls,
    /// without copying the arrivals each time.
    func arrivalCount(of displayName: String) -> Int {
        state.withLockedValue { $0.firstSeen[displayName]?.count ?? 0 }
    }

    /// When each destination first received an update naming `displayName`.
    func arrivals(of displayName: String) -> [String: ContinuousClock.Instant] {
        state.withLockedValue { $0.firstSeen[displayName] ?? [:] }
    }

    var totals: (transactions: Int, edus: Int) { state.withLockedValue { ($0.transactions, $0.edus) } }
}

/// A TLS listener on every loopback address at one port, answering `PUT /send/{txnId}` as a
/// federation server that accepts everything (`{"pdus": {}}`) and anything else with 404. The
/// certificate is picked by the address a connection came to (a `/24` per certificate).
final class FanOutReceiver: Sendable {
    let port: Int
    let receipts = FanOutReceipts()
    private let channel: any Channel

    init(certificates: FanOutCertificates, subnets: ClosedRange<UInt8>) async throws {
        var contexts: [UInt8: NIOSSLContext] = [:]
        for octet in subnets { contexts[octet] = try certificates.serverContext(thirdOctet: octet) }
        let byOctet = contexts
        let receipts = self.receipts
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let octets = channel.localAddress?.ipAddress?.split(separator: ".").compactMap { UInt8($0) } ?? []
                    guard octets.count == 4, let context = byOctet[octets[2]] else {
                        throw FanOutUnknownAddress(address: channel.localAddress)
                    }
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FanOutRequestHandler(receipts: receipts))
                }
            }
            .bind(host: "0.0.0.0", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func close() async {
        try? await channel.close()
    }
}

/// A connection to an address the receiver has no certificate for (outside `127.0.<subnet>.0/24`).
struct FanOutUnknownAddress: Error {
    let address: SocketAddress?
}

/// One connection's requests: the body is read whole, its device-list updates recorded, and the
/// answer sent at once.
private final class FanOutRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let receipts: FanOutReceipts
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(receipts: FanOutReceipts) { self.receipts = receipts }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            self.head = nil
            let isSend = head.method == .PUT && head.uri.hasPrefix("/_matrix/federation/v1/send/")
            if isSend { record(head) }
            respond(
                context: context, keepAlive: head.isKeepAlive, status: isSend ? .ok : .notFound,
                json: isSend ? #"{"pdus":{}}"# : #"{"errcode":"M_UNRECOGNIZED","error":"not a stub endpoint"}"#)
        }
    }

    private func record(_ head: HTTPRequestHead) {
        let now = ContinuousClock.now
        let transaction = try? JSONParser(options: .init(maxDepth: 64, maxBytes: 16 << 20, allowFloats: true))
            .parse(body.readableBytesView)
        let edus = transaction?.objectValue?["edus"]?.arrayValue ?? []
        let names = edus.compactMap { edu -> String? in
            guard edu.objectValue?["edu_type"]?.stringValue == "m.device_list_update" else { return nil }
            return edu.objectValue?["content"]?.objectValue?["device_display_name"]?.stringValue ?? ""
        }
        receipts.record(
            destination: head.headers.first(name: "Host") ?? "", displayNames: names, eduCount: edus.count, at: now)
    }

    private func respond(context: ChannelHandlerContext, keepAlive: Bool, status: HTTPResponseStatus, json: String) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(json.utf8.count)")])
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: json)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
