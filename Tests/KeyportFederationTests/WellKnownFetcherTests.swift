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
                await HTTPWellKnownFetcher(client: client, port: server.port, scheme: scheme)
                    .fetch(hostname: "127.0.0.1")
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
        // HTTPS, which a plain HTTP server cannot answer.
        let tlsMismatch = try await fetch([Self.path: json(#"{"m.server": "a.example.org"}"#)], scheme: "https")
        #expect(tlsMismatch.result == .none && tlsMismatch.cacheFor == Self.hour)
    }

    @Test func refusedConnectionsGiveNoneForAnHour() async throws {
        // A port that was just listened on and is closed again.
        let closedPort = try await withStaticHTTPServer(routes: [:]) { $0.port }
        try await withHTTPClient { client in
            // AsyncHTTPClient retries refused connections until the 10-second deadline. The bound
            // leaves room for a machine running the whole suite (13.9 s seen in CI on two cores)
            // and still tells a fetch that gives up at its deadline from one left to retry.
            let started = ContinuousClock.now
            let refused = await HTTPWellKnownFetcher(client: client, port: closedPort, scheme: "http")
                .fetch(hostname: "127.0.0.1")
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(refused.result == .none && refused.cacheFor == Self.hour)
        }
    }

    /// Fetches through checked connections (plain HTTP): hosts are looked up in `addresses`
    /// (any other host has none), and the IP range lists are `blacklist` and no whitelist.
    private func fetchChecked(
        _ routes: [String: StaticHTTPServer.Response], host: String = "wk.test",
        addresses: [String: [UInt8]] = ["wk.test": [127, 0, 0, 1]], blacklist: [String] = ["10.0.0.0/8"]
    ) async throws -> (answer: (result: WellKnownResult, cacheFor: Duration), lookups: [String]) {
        let lookups = LookupCounter()
        var settings = FederationClientSettings(blacklist: try IPRangeSet(blacklist), whitelist: try IPRangeSet([]))
        settings.lookup = { host throws(FederationError) in
            await lookups.count(host)
            guard let address = addresses[host] else { throw .unreachable("no address for \(host)") }
            return [address]
        }
        let connections = FederationConnections(settings: settings, scheme: "http")
        let answer = try await withOwned(
            connections, release: { await $0.shutdown() },
            { connections in
                try await withStaticHTTPServer(routes: routes) { server in
                    await HTTPWellKnownFetcher(connections: connections, port: server.port).fetch(hostname: host)
                }
            })
        return (answer, await lookups.hosts)
    }

    @Test func theFetchGoesToTheCheckedAddress() async throws {
        // "wk.test" has no address in the system resolver: only the checked one can be reached.
        let (answer, lookups) = try await fetchChecked([Self.path: json(#"{"m.server": "matrix.example.org"}"#)])
        #expect(answer.result == .delegated("matrix.example.org"))
        #expect(lookups == ["wk.test"])
        let (blocked, _) = try await fetchChecked(
            [Self.path: json(#"{"m.server": "matrix.example.org"}"#)], blacklist: ["127.0.0.0/8"])
        #expect(blocked.result == .none && blocked.cacheFor == Self.hour)
    }

    @Test func everyRedirectTargetIsChecked() async throws {
        let final = ["/final": json(#"{"m.server": "reached.example.org"}"#)]
        func redirect(to location: String) -> [String: StaticHTTPServer.Response] {
            final.merging([Self.path: StaticHTTPServer.Response(status: 302, headers: [("Location", location)])]) {
                $1
            }
        }
        let addresses: [String: [UInt8]] = [
            "wk.test": [127, 0, 0, 1], "public.test": [127, 0, 0, 1], "internal.test": [10, 0, 0, 7],
        ]
        // A relative redirect and one to another allowed host are followed.
        let (relative, _) = try await fetchChecked(redirect(to: "/final"), addresses: addresses)
        #expect(relative.result == .delegated("reached.example.org"))
        // Targets that are blocked, or IPv4 in another notation, are not contacted.
        for location in [
            "http://internal.test:PORT/final", "http://0.0.0.0:PORT/final", "http://[::]:PORT/final",
            "http://127.1:PORT/final", "http://2130706433:PORT/final", "http://0x7f.0.0.1:PORT/final",
            "http://unknown.test:PORT/final",
        ] {
            try await withStaticHTTPServer(routes: final) { server in
                let target = location.replacingOccurrences(of: "PORT", with: "\(server.port)")
                let (answer, lookups) = try await fetchChecked(redirect(to: target), addresses: addresses)
                #expect(answer.result == .none, "\(target) was followed")
                #expect(!lookups.isEmpty)
            }
        }
        try await withStaticHTTPServer(routes: final) { server in
            let (followed, lookups) = try await fetchChecked(
                redirect(to: "http://public.test:\(server.port)/final"), addresses: addresses)
            #expect(followed.result == .delegated("reached.example.org"))
            #expect(lookups == ["wk.test", "public.test"])
        }
    }
}
