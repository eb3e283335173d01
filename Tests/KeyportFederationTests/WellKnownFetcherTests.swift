import AsyncHTTPClient
import Foundation
import KeyportTestSupport
import Testing

@testable import KeyportFederation

/// HTTPWellKnownFetcher against a real HTTP server on loopback (plain HTTP through the internal
/// `scheme` parameter).
@Suite struct WellKnownFetcherTests {
    private static let path = "/.well-known/matrix/server"
    private static let hour: Duration = .seconds(3600)

    /// Serves `routes`, fetches the well-known file from 127.0.0.1 and shuts everything down.
    private func fetch(
        _ routes: [String: StaticHTTPServer.Response], scheme: String = "http"
    ) async throws -> (result: WellKnownResult, cacheFor: Duration) {
        try await withStaticHTTPServer(routes: routes) { server in
            try await withHTTPClient(configuration: HTTPClient.Configuration(redirectConfiguration: .disallow)) {
                client in
                let fetcher =
                    scheme == "https"
                    ? HTTPWellKnownFetcher(client: client, port: server.port)
                    : HTTPWellKnownFetcher(client: client, port: server.port, scheme: scheme)
                return await fetcher.fetch(hostname: "127.0.0.1")
            }
        }
    }

    private func json(_ body: String, headers: [(name: String, value: String)] = []) -> StaticHTTPServer.Response {
        StaticHTTPServer.Response(headers: headers, body: body)
    }

    @Test func validDelegationIsCachedForADayByDefault() async throws {
        let answer = try await fetch([Self.path: json(#"{"m.server": "matrix.example.org:443", "other": 1.5}"#)])
        #expect(answer.result == .delegated("matrix.example.org:443"))
        #expect(answer.cacheFor == .seconds(24 * 3600))
    }

    @Test func cacheControlMaxAgeIsHonouredWithinLimits() async throws {
        let body = #"{"m.server": "matrix.example.org"}"#
        let twoHours = try await fetch([Self.path: json(body, headers: [("Cache-Control", "public, max-age=7200")])])
        #expect(twoHours.result == .delegated("matrix.example.org"))
        #expect(twoHours.cacheFor == .seconds(7200))
        let tooLong = try await fetch([Self.path: json(body, headers: [("Cache-Control", "max-age=9999999")])])
        #expect(tooLong.cacheFor == .seconds(48 * 3600))
        let noStore = try await fetch([Self.path: json(body, headers: [("Cache-Control", "no-store")])])
        #expect(noStore.cacheFor == .seconds(300))
    }

    @Test func expiresIsHonoured() async throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let expires = formatter.string(from: Date().addingTimeInterval(3 * 3600))
        let answer = try await fetch([
            Self.path: json(#"{"m.server": "a.example.org"}"#, headers: [("Expires", expires)])
        ])
        #expect(answer.result == .delegated("a.example.org"))
        #expect(answer.cacheFor <= .seconds(3 * 3600) && answer.cacheFor >= .seconds(3 * 3600 - 60))
    }

    @Test func redirectsAreFollowed() async throws {
        let answer = try await fetch([
            Self.path: StaticHTTPServer.Response(status: 302, headers: [("Location", "/moved")]),
            "/moved": StaticHTTPServer.Response(status: 301, headers: [("Location", "/final")]),
            "/final": json(#"{"m.server": "[2001:db8::1]:8448"}"#),
        ])
        #expect(answer.result == .delegated("[2001:db8::1]:8448"))

        var loop: [String: StaticHTTPServer.Response] = [:]
        for step in 0..<7 {
            loop[step == 0 ? Self.path : "/r\(step)"] = StaticHTTPServer.Response(
                status: 307, headers: [("Location", "/r\(step + 1)")])
        }
        loop["/r7"] = json(#"{"m.server": "too.far.example.org"}"#)
        let tooMany = try await fetch(loop)
        #expect(tooMany.result == .none)
        #expect(tooMany.cacheFor == Self.hour)

        let otherScheme = try await fetch([
            Self.path: StaticHTTPServer.Response(status: 302, headers: [("Location", "ftp://127.0.0.1/x")])
        ])
        #expect(otherScheme.result == .none)
    }

    @Test func invalidAnswersGiveNoneForAnHour() async throws {
        let bodies = [
            "not json", #"{"m.server": 5}"#, #"{"m.server": "bad name!"}"#, #"["m.server"]"#, #"{}"#,
            #"{"m.server": "a.org", "m.server": "b.org"}"#,
        ]
        for body in bodies {
            let answer = try await fetch([Self.path: json(body, headers: [("Cache-Control", "max-age=86400")])])
            #expect(answer.result == .none, "\(body)")
            #expect(answer.cacheFor == Self.hour, "\(body)")
        }
        let missing = try await fetch([:])
        #expect(missing.result == .none && missing.cacheFor == Self.hour)
        let serverError = try await fetch([Self.path: StaticHTTPServer.Response(status: 500, body: "{}")])
        #expect(serverError.result == .none && serverError.cacheFor == Self.hour)
        let padding = String(repeating: " ", count: 51 * 1024)
        let tooLarge = try await fetch([Self.path: json(#"{"m.server": "a.example.org"}"# + padding)])
        #expect(tooLarge.result == .none && tooLarge.cacheFor == Self.hour)
    }

    @Test func tlsFailuresGiveNoneForAnHour() async throws {
        // The public initialiser speaks HTTPS, which a plain HTTP server cannot answer.
        let tlsMismatch = try await fetch([Self.path: json(#"{"m.server": "a.example.org"}"#)], scheme: "https")
        #expect(tlsMismatch.result == .none && tlsMismatch.cacheFor == Self.hour)
    }

    @Test func refusedConnectionsGiveNoneForAnHour() async throws {
        // A port that was just listened on and is closed again.
        let closedPort = try await withStaticHTTPServer(routes: [:]) { $0.port }
        try await withHTTPClient { client in
            // AsyncHTTPClient retries refused connections until the 10-second deadline.
            let started = ContinuousClock.now
            let refused = await HTTPWellKnownFetcher(client: client, port: closedPort, scheme: "http")
                .fetch(hostname: "127.0.0.1")
            #expect(ContinuousClock.now - started < .seconds(12))
            #expect(refused.result == .none && refused.cacheFor == Self.hour)
        }
    }
}
