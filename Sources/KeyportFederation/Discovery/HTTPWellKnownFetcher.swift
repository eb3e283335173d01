public import AsyncHTTPClient
import Foundation
import MatrixModel
import NIOCore
import NIOHTTP1

/// Fetches `https://<hostname>/.well-known/matrix/server` with AsyncHTTPClient.
///
/// Redirects are followed, up to five, to URLs of the same scheme. The whole exchange has 10
/// seconds and the body may be at most 50 KiB. A 200 response whose body is a JSON object with an
/// `m.server` string that is a valid `host[:port]` is a delegation, cached as its headers say
/// (see ``WellKnownCachePolicy``); anything else is `.none`, cached for an hour.
public struct HTTPWellKnownFetcher: WellKnownFetching {
    public static let maximumRedirects = 5
    public static let maximumBodyBytes = 50 * 1024
    public static let timeout: Duration = .seconds(10)

    private let client: HTTPClient
    private let port: Int
    private let scheme: String

    /// - Parameters:
    ///   - client: the client to use; its own redirect setting may follow redirects first.
    ///   - port: the port to fetch from, 443 in production.
    public init(client: HTTPClient, port: Int = 443) {
        self.init(client: client, port: port, scheme: "https")
    }

    /// Lets tests fetch over plain HTTP.
    init(client: HTTPClient, port: Int, scheme: String) {
        self.client = client
        self.port = port
        self.scheme = scheme
    }

    public func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration) {
        let failure = (WellKnownResult.none, WellKnownCachePolicy.failureLifetime)
        guard let (body, headers) = try? await download(url(for: hostname)),
            let server = Self.delegation(in: body)
        else { return failure }
        let lifetime = WellKnownCachePolicy.lifetime(
            cacheControl: headers["Cache-Control"],
            expires: headers["Expires"],
            now: Int64(Date().timeIntervalSince1970))
        return (.delegated(server), lifetime)
    }

    /// The `m.server` value of a body, when it is a valid server name.
    package static func delegation(in body: ByteBuffer) -> String? {
        let parser = JSONParser(options: .init(maxBytes: maximumBodyBytes, allowFloats: true))
        guard let value = try? parser.parse(body.readableBytesView),
            let server = value.objectValue?["m.server"]?.stringValue,
            ServerName(server) != nil
        else { return nil }
        return server
    }

    /// The well-known URL on `hostname`, leaving out the port when it is the scheme's default.
    private func url(for hostname: String) -> String {
        let host = hostname.contains(":") ? "[\(hostname)]" : hostname
        let defaultPort = scheme == "https" ? 443 : 80
        let authority = port == defaultPort ? host : "\(host):\(port)"
        return "\(scheme)://\(authority)/.well-known/matrix/server"
    }

    /// The body and headers of the 200 response reached from `start`, or nil for any other outcome.
    private func download(_ start: String) async throws -> (ByteBuffer, HTTPHeaders)? {
        let deadline = NIODeadline.now() + TimeAmount(Self.timeout)
        var url = start
        for _ in 0...Self.maximumRedirects {
            let response = try await client.execute(HTTPClientRequest(url: url), deadline: deadline)
            let redirectCodes: Set<UInt> = [301, 302, 303, 307, 308]
            if redirectCodes.contains(response.status.code) {
                guard let location = response.headers.first(name: "Location"),
                    let next = redirectTarget(location, from: url)
                else { return nil }
                url = next
                continue
            }
            guard response.status == .ok else { return nil }
            let body = try await response.body.collect(upTo: Self.maximumBodyBytes)
            return (body, response.headers)
        }
        return nil
    }

    /// The absolute URL a `Location` value points to, when it keeps this fetcher's scheme.
    private func redirectTarget(_ location: String, from current: String) -> String? {
        guard let base = URL(string: current), let target = URL(string: location, relativeTo: base)?.absoluteURL,
            target.scheme?.lowercased() == scheme, target.host != nil
        else { return nil }
        return target.absoluteString
    }
}
