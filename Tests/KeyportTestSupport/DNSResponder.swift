import KeyportFederation
import NIOCore
import NIOPosix

/// Runs `body` with a ``DNSResponder`` serving `zone` and closes it afterwards, also when `body`
/// throws.
public func withDNSResponder<Result>(
    _ zone: DNSZone,
    _ body: (DNSResponder) async throws -> Result
) async throws -> Result {
    let responder = try await DNSResponder.start(zone)
    return try await withOwned(responder, release: { await $0.stop() }, body)
}

/// A DNS server in the test process: UDP on 127.0.0.1 at a port the system picks, answering each
/// query from a ``DNSZone``. It stands in for a real DNS server in unit and HTTP tests, so they need
/// nothing beyond the toolchain. Tests get one through ``withDNSResponder(_:_:)``.
public final class DNSResponder: Sendable {
    public let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    static func start(_ zone: DNSZone) async throws -> DNSResponder {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSResponderHandler(zone: zone))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        return DNSResponder(port: port, channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    /// A client asking only this responder.
    public func client(timeout: Duration = .seconds(2)) -> DNSClient {
        DNSClient(nameservers: [("127.0.0.1", port)], timeout: timeout)
    }
}

/// Answers each datagram that the zone has a reply for, to the address it came from.
private final class DNSResponderHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let zone: DNSZone

    init(zone: DNSZone) {
        self.zone = zone
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let reply = zone.reply(to: Array(buffer: envelope.data)) else { return }
        let answer = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply))
        context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
    }
}
