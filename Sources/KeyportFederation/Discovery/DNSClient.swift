import Foundation
import NIOCore
import NIOPosix

/// A small DNS client for SRV lookups over UDP, without the system resolver library.
///
/// Each lookup asks the nameservers in turn until one answers, waiting `timeout` for each. A
/// query carries a random 16-bit id, and only a reply from the nameserver with that id and the
/// same question is accepted. NXDOMAIN and answers without SRV records give an empty array; a
/// truncated reply (TC) gives the records that fit, without retrying over TCP.
public struct DNSClient: SRVResolving {
    /// A nameserver's IP address and UDP port.
    private struct Nameserver: Sendable {
        var host: String
        var port: Int
    }

    private let nameservers: [Nameserver]
    private let timeout: Duration

    /// - Parameters:
    ///   - nameservers: IP addresses (not hostnames) and ports, asked in this order.
    ///   - timeout: how long to wait for each nameserver's reply.
    public init(nameservers: [(host: String, port: Int)], timeout: Duration = .seconds(2)) {
        self.nameservers = nameservers.map { Nameserver(host: $0.host, port: $0.port) }
        self.timeout = timeout
    }

    /// A client for the nameservers in `/etc/resolv.conf` (port 53, at most three, as the C
    /// library uses), or 127.0.0.1 when it lists none.
    public static func system() -> DNSClient {
        let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        let hosts = nameservers(inResolvConf: text)
        return DNSClient(nameservers: (hosts.isEmpty ? ["127.0.0.1"] : hosts).map { ($0, 53) })
    }

    /// The `nameserver` addresses in resolv.conf text, in order, at most three.
    static func nameservers(inResolvConf text: String) -> [String] {
        var hosts: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let content = line.prefix { $0 != "#" && $0 != ";" }
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver", IPAddressText.bytes(words[1]) != nil else { continue }
            hosts.append(String(words[1]))
        }
        return Array(hosts.prefix(3))
    }

    public func lookupSRV(_ name: String) async throws -> [SRVRecord] {
        guard !nameservers.isEmpty else { throw DNSLookupError.noNameservers }
        var failures: [String] = []
        for server in nameservers {
            try Task.checkCancellation()
            let id = UInt16.random(in: .min ... .max)
            guard let query = DNSMessage.query(id: id, name: name, type: DNSMessage.typeSRV) else {
                throw DNSLookupError.invalidName(name)
            }
            do {
                let response = try await exchange(query, id: id, name: name, with: server)
                switch response.rcode {
                case DNSMessage.rcodeNoError: return response.srvRecords(for: name)
                case DNSMessage.rcodeNameError: return []
                default: failures.append("\(server.host):\(server.port) answered with RCODE \(response.rcode)")
                }
            } catch {
                failures.append("\(server.host):\(server.port): \(error)")
            }
        }
        throw DNSLookupError.noAnswer(name: name, failures: failures)
    }

    /// Sends one query to one nameserver over a connected UDP socket and waits for the matching reply.
    private func exchange(
        _ query: [UInt8], id: UInt16, name: String, with server: Nameserver
    ) async throws -> DNSMessage.Response {
        let address = try SocketAddress(ipAddress: server.host, port: server.port)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        // Closing the channel ends the inbound stream, which ends the wait below.
        let timer = channel.channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { [channel = channel.channel] in
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: query)))
            for try await envelope in inbound {
                guard let response = try? DNSMessage.parse(Array(buffer: envelope.data)),
                    response.isResponse, response.id == id, response.questionType == DNSMessage.typeSRV,
                    DNSMessage.canonical(response.questionName) == DNSMessage.canonical(name)
                else { continue }
                return response
            }
            throw DNSLookupError.timedOut
        }
    }
}

/// Why an SRV lookup got no answer.
public enum DNSLookupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The client was given no nameservers.
    case noNameservers
    /// The name cannot be put in a query (empty or overlong labels).
    case invalidName(String)
    /// No reply came within the timeout.
    case timedOut
    /// Every nameserver failed; each failure is described.
    case noAnswer(name: String, failures: [String])

    public var description: String {
        switch self {
        case .noNameservers: "no nameservers configured"
        case .invalidName(let name): "\"\(name)\" is not a valid DNS name"
        case .timedOut: "timed out"
        case .noAnswer(let name, let failures):
            "no answer for \(name): " + failures.joined(separator: "; ")
        }
    }
}
