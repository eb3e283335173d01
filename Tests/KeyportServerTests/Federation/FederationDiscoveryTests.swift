import AsyncHTTPClient
import Foundation
import Hummingbird
import KeyportServer
import KeyportTestSupport
import MatrixModel
import Testing

@testable import KeyportFederation

/// Server discovery between two Keyports: the peer is found through an SRV record served by the
/// in-process DNS responder, through `.well-known/matrix/server` delegation, and on the default port 8448.
/// Each test then exchanges keys and a to-device message in both directions, so discovery also
/// carries the key fetch that checks the peer's signatures.
@Suite(.serialized)
struct FederationDiscoveryTests {
    /// No `.well-known` anywhere.
    struct NoWellKnown: WellKnownFetching {
        func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration) { (.none, .seconds(60)) }
    }

    /// Keys and to-device both ways between `serverA` (alice) and `serverB` (bob).
    static func exchange(_ serverA: FederatingServer, _ serverB: FederatingServer) async throws {
        try await serverA.run { a in
            try await serverB.run { b in
                let (alice, _, _) = try await FederationKeysTests.userWithKeys(a, "alice")
                let (bob, bobKeys, _) = try await FederationKeysTests.userWithKeys(b, "bob")
                #expect(bob.userID == "@bob:\(serverB.serverName)")
                let query = try await a.client(
                    .post, "/keys/query", token: alice.token, body: ["device_keys": .object([bob.userID: []])])
                #expect(query["failures"] == [:], "\(query.body)")
                #expect(query["device_keys"]?[bob.userID]?[bob.deviceID]?["keys"] == bobKeys.deviceKeys()["keys"])
                let bobStart = try await b.position(bob)
                try await FederationKeysTests.sendToDevice(
                    a, from: alice, to: bob.userID, device: bob.deviceID, text: "found you", txn: "d1")
                #expect(try await FederationKeysTests.receive(b, bob, since: bobStart).texts == ["found you"])
                let back = try await b.client(
                    .post, "/keys/claim", token: bob.token,
                    body: ["one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])])])
                #expect(back["failures"] == [:], "\(back.body)")
                #expect(back["one_time_keys"]?[alice.userID]?[alice.deviceID]?.objectValue?.count == 1)
            }
        }
    }

    @Test func srvRecordLeadsToThePeer() async throws {
        let tlsPort = try FreePort.next()
        let zone = try DNSZone([
            "_matrix-fed._tcp.srv.test": [.srv(SRVRecord(priority: 10, weight: 5, port: tlsPort, target: "localhost"))]
        ])
        try await withDNSResponder(zone) { dns in
            let serverB = try FederatingServer(name: "srv.test", tlsPort: tlsPort)
            let serverA = try FederatingServer(resolver: ServerResolver(srv: dns.client(), wellKnown: NoWellKnown()))
            try await Self.exchange(serverA, serverB)
        }
    }

    @Test func wellKnownDelegatesToThePeer() async throws {
        let serverBPort = try FreePort.next()
        let routes: [String: StaticHTTPServer.Response] = [
            "/.well-known/matrix/server": .init(
                headers: [("Content-Type", "application/json")], body: #"{"m.server": "localhost:\#(serverBPort)"}"#)
        ]
        try await withStaticHTTPServer(routes: routes) { wellKnown in
            try await withHTTPClient { client in
                // No SRV records anywhere: the delegation alone must lead to the peer.
                try await withDNSResponder(DNSZone()) { dns in
                    let fetcher = HTTPWellKnownFetcher(client: client, port: wellKnown.port, scheme: "http")
                    let serverB = try FederatingServer(name: "localhost", tlsPort: serverBPort)
                    let serverA = try FederatingServer(resolver: ServerResolver(srv: dns.client(), wellKnown: fetcher))
                    try await Self.exchange(serverA, serverB)
                }
            }
        }
    }

    @Test func port8448IsTheFallback() async throws {
        try await withDNSResponder(DNSZone()) { dns in
            let serverB = try FederatingServer(name: "localhost", tlsPort: 8448)
            let serverA = try FederatingServer(resolver: ServerResolver(srv: dns.client(), wellKnown: NoWellKnown()))
            try await Self.exchange(serverA, serverB)
        }
    }
}
