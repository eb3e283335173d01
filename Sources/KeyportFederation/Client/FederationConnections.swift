import AsyncHTTPClient
import MatrixModel
import NIOCore
import NIOHTTP1

/// Every outbound connection of federation and discovery: a host is resolved once, every address
/// it has is checked against the IP range lists, and the connection goes to the address that was
/// checked (the name is never resolved again). Answers are read within their kind's limit and the
/// budget shared by all answers being read. Shut down once, by whoever made it.
public final class FederationConnections: Sendable {
    let settings: FederationClientSettings
    let clients: HTTPClientCache
    let budget: ResponseBudget
    /// `https`; tests on loopback use `http`.
    let scheme: String

    public convenience init(settings: FederationClientSettings) {
        self.init(settings: settings, scheme: "https")
    }

    init(settings: FederationClientSettings, scheme: String, clientCapacity: Int = 256) {
        self.settings = settings
        self.scheme = scheme
        self.clients = HTTPClientCache(
            tls: settings.tlsConfiguration, connectTimeout: settings.connectTimeout, capacity: clientCapacity)
        self.budget = ResponseBudget(capacity: settings.maxBytesInFlight)
    }

    /// The checked address of `host`, as canonical text (see ``FederationClientSettings``).
    func checkedAddress(for host: String) async throws(FederationError) -> String {
        try await settings.checkedAddress(for: host)
    }

    /// Sends `request` on the client for (`serverName`, `address`) and parses the answer as JSON
    /// (nil when it is not JSON), read within `limit` bytes and the shared budget. A transport
    /// failure drops that client, so AsyncHTTPClient's own growing reconnect delay never outlives
    /// it and our retry schedule alone decides.
    func execute(
        _ request: HTTPClientRequest, serverName: String?, address: String, timeout: Duration, limit: Int
    ) async throws(FederationError) -> (status: Int, headers: HTTPHeaders, json: JSONValue?) {
        guard let client = await clients.lease(serverName: serverName, address: address) else {
            throw .unreachable("this server is shutting down")
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        } catch {
            await clients.release(serverName: serverName, address: address)
            await clients.discard(serverName: serverName, address: address)
            throw .unreachable("\(error)")
        }
        do throws(FederationError) {
            let json = try await readJSON(response, limit: limit)
            await clients.release(serverName: serverName, address: address)
            return (Int(response.status.code), response.headers, json)
        } catch {
            await clients.release(serverName: serverName, address: address)
            throw error
        }
    }

    /// The body of `response` parsed as JSON (depth 64, floats allowed), or nil when it is not
    /// JSON. Refused past `limit` bytes, or when its bytes would take the shared budget past its
    /// capacity; the bytes stay reserved until they are parsed. An answer that gives its length
    /// reserves that much at its first bytes; one that does not, 16 KiB steps as it arrives. (A
    /// fixed 64 KiB for every answer ran the budget out at 1,024 small answers read at once: a
    /// device change sent to 10,000 servers backed most of them off for ten minutes.)
    private func readJSON(_ response: HTTPClientResponse, limit: Int) async throws(FederationError) -> JSONValue? {
        let declared = response.headers.first(name: "Content-Length").flatMap { Int($0) }
        if let declared, declared > limit {
            throw .tooLarge("an answer of \(declared) bytes is over the limit of \(limit)")
        }
        var buffer = ByteBuffer()
        var reserved = 0
        do {
            for try await chunk in response.body {
                let needed = buffer.readableBytes + chunk.readableBytes
                guard needed <= limit else {
                    throw FederationError.tooLarge("the answer is over the limit of \(limit) bytes")
                }
                if needed > reserved {
                    let least = declared.map { $0 - reserved } ?? 16 * 1024
                    let step = min(max(needed - reserved, least), limit - reserved)
                    guard await budget.reserve(step) else {
                        throw FederationError.overloaded(
                            "more than \(budget.capacity) bytes of federation answers are being read at once")
                    }
                    reserved += step
                }
                buffer.writeImmutableBuffer(chunk)
            }
        } catch {
            await budget.release(reserved)
            throw (error as? FederationError) ?? .unreachable("\(error)")
        }
        let parsed = try? JSONParser(options: .init(maxDepth: 64, maxBytes: limit, allowFloats: true))
            .parse(buffer.readableBytesView)
        await budget.release(reserved)
        return parsed
    }

    /// Closes every connection.
    public func shutdown() async {
        await clients.shutdown()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
