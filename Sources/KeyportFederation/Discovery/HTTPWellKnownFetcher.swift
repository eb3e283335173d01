import AsyncHTTPClient
import Foundation
import MatrixModel
import NIOCore
import NIOHTTP1

/// Fetches `https://<hostname>/.well-known/matrix/server`.
///
/// Each step goes through ``FederationConnections``: the step's host is resolved once, every
/// address it has is checked against the IP range lists, and the request goes to the checked
/// address. Redirects are followed, as the spec asks, up to five and only to URLs of the same
/// scheme, each target checked the same way before it is contacted. The whole exchange has 10
/// seconds and the body may be at most 50 KiB. A 200 response whose body is a JSON object with an
/// `m.server` string that is a valid `host[:port]` is a delegation, cached as its headers say
/// (see ``WellKnownCachePolicy``); anything else is `.none`, cached for an hour.
public struct HTTPWellKnownFetcher: WellKnownFetching {
    public static let maximumRedirects = 5
    public static let maximumBodyBytes = FederationResponseLimit.wellKnown
    public static let timeout: Duration = .seconds(10)

    /// How one step's request is sent.
    enum Transport: Sendable {
        /// Checked addresses only: what servers use.
        case checked(FederationConnections)
        /// One client for every host, with no address check: only tests of the redirect and
        /// caching rules reach this (it is internal), on loopback.
        case direct(HTTPClient)
    }

    private let transport: Transport
    private let port: Int
    private let scheme: String

    /// - Parameters:
    ///   - connections: the checked connections, shared with the federation client.
    ///   - port: the port to fetch from, 443 in production.
    public init(connections: FederationConnections, port: Int = 443) {
        self.init(transport: .checked(connections), port: port, scheme: connections.scheme)
    }

    /// Lets tests fetch over plain HTTP from a loopback server without the address checks.
    init(client: HTTPClient, port: Int, scheme: String) {
        self.init(transport: .direct(client), port: port, scheme: scheme)
    }

    init(transport: Transport, port: Int, scheme: String) {
        self.transport = transport
        self.port = port
        self.scheme = scheme
    }

    public func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration) {
        let failure = (WellKnownResult.none, WellKnownCachePolicy.failureLifetime)
        guard let start = Step(scheme: scheme, host: hostname, port: port, pathAndQuery: "/.well-known/matrix/server"),
            let (body, headers) = await download(from: start),
            let server = Self.delegation(in: body)
        else { return failure }
        let lifetime = WellKnownCachePolicy.lifetime(
            cacheControl: headers["Cache-Control"],
            expires: headers["Expires"],
            now: Int64(Date().timeIntervalSince1970))
        return (.delegated(server), lifetime)
    }

    /// The `m.server` value of a parsed body, when it is a valid server name.
    package static func delegation(in body: JSONValue?) -> String? {
        guard let server = body?.objectValue?["m.server"]?.stringValue, ServerName(server) != nil else { return nil }
        return server
    }

    /// The same for a raw body, parsed as `fetch` parses it (the fuzz target's entry point).
    package static func delegation(in body: ByteBuffer) -> String? {
        delegation(
            in: try? JSONParser(options: .init(maxBytes: maximumBodyBytes, allowFloats: true)).parse(
                body.readableBytesView))
    }

    /// The parsed body and headers of the 200 response reached from `start`, or nil for any other outcome.
    private func download(from start: Step) async -> (JSONValue?, HTTPHeaders)? {
        let deadline = ContinuousClock.now + Self.timeout
        var step = start
        for _ in 0...Self.maximumRedirects {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, let (status, headers, body) = await send(step, timeout: remaining) else {
                return nil
            }
            if [301, 302, 303, 307, 308].contains(status) {
                guard let location = headers.first(name: "Location"), let next = step.redirected(to: location),
                    next.scheme == scheme
                else { return nil }
                step = next
                continue
            }
            return status == 200 ? (body, headers) : nil
        }
        return nil
    }

    /// One GET, through the transport; nil when it fails.
    private func send(_ step: Step, timeout: Duration) async -> (Int, HTTPHeaders, JSONValue?)? {
        switch transport {
        case .checked(let connections):
            guard let address = try? await connections.checkedAddress(for: step.host) else { return nil }
            let isLiteral = IPAddressText.bytes(step.host) != nil
            let request = HTTPClientRequest(url: step.url(host: isLiteral ? address : nil))
            guard
                let answer = try? await connections.execute(
                    request, serverName: isLiteral ? nil : step.host, address: address, timeout: timeout,
                    limit: Self.maximumBodyBytes)
            else { return nil }
            return (answer.status, answer.headers, answer.json)
        case .direct(let client):
            guard
                let response = try? await client.execute(
                    HTTPClientRequest(url: step.url(host: nil)), timeout: .nanoseconds(timeout.nanoseconds)),
                let body = try? await response.body.collect(upTo: Self.maximumBodyBytes)
            else { return nil }
            let json = try? JSONParser(options: .init(maxBytes: Self.maximumBodyBytes, allowFloats: true))
                .parse(body.readableBytesView)
            return (Int(response.status.code), response.headers, json)
        }
    }
}

extension HTTPWellKnownFetcher {
    /// One URL of the exchange, taken apart so that its host can be checked and the request
    /// built again from the parts (no user info, a literal address written canonically).
    struct Step: Sendable, Equatable {
        var scheme: String
        /// A hostname, or an IP address without brackets.
        var host: String
        var port: Int
        var pathAndQuery: String

        init?(scheme: String, host: String, port: Int, pathAndQuery: String) {
            guard !host.isEmpty, (1...65535).contains(port), pathAndQuery.hasPrefix("/") else { return nil }
            self.scheme = scheme.lowercased()
            self.host = host
            self.port = port
            self.pathAndQuery = pathAndQuery
        }

        /// The step a `Location` value leads to, resolved against this one.
        func redirected(to location: String) -> Step? {
            guard let base = URL(string: url(host: nil)),
                let target = URL(string: location, relativeTo: base)?.absoluteURL,
                let components = URLComponents(url: target, resolvingAgainstBaseURL: false),
                let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
                var host = components.host
            else { return nil }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
            return Step(
                scheme: scheme, host: host, port: components.port ?? (scheme == "https" ? 443 : 80),
                pathAndQuery: path + query)
        }

        /// The URL, with `host` (a checked address) in place of the step's host when given,
        /// leaving out the port when it is the scheme's default.
        func url(host address: String?) -> String {
            let name = address ?? host
            let written = name.contains(":") ? "[\(name)]" : name
            let defaultPort = scheme == "https" ? 443 : 80
            let authority = port == defaultPort ? written : "\(written):\(port)"
            return "\(scheme)://\(authority)\(pathAndQuery)"
        }
    }
}
