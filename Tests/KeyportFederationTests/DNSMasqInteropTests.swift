import Foundation
import KeyportFederation
import KeyportTestSupport
import MatrixModel
import Testing

/// The interop step for DNS: our client and resolver against a real DNS server, dnsmasq (Debian
/// `dnsmasq-base`), whose answers are written by another implementation than ours (it compresses
/// names its own way). Every other DNS test uses the in-process responder, so `swift test` needs
/// no dnsmasq; this one runs only when `KEYPORT_INTEROP_DNSMASQ=1`, as `.ci/run` sets it, and then
/// fails, rather than skips, when dnsmasq is missing.
@Suite struct DNSMasqInteropTests {
    /// Whether this run is the interop step.
    static let requested = ProcessInfo.processInfo.environment["KEYPORT_INTEROP_DNSMASQ"] == "1"

    static let srvHosts = [
        "_matrix-fed._tcp.example.test,target.example.test,8449,10,5",
        "_matrix._tcp.legacy.test,old.example.test,8450",
        "_matrix-fed._tcp.multi.test,b.example.test,8001,20,5",
        "_matrix-fed._tcp.multi.test,a.example.test,8002,10,1",
        "_matrix-fed._tcp.multi.test,c.example.test,8003,10,9",
    ]

    @Test(
        .enabled(
            if: DNSMasqInteropTests.requested,
            "interop step: set KEYPORT_INTEROP_DNSMASQ=1 to run it against a real dnsmasq"))
    func dnsmasqAnswersLeadTheResolver() async throws {
        try await withDNSMasq(srvHosts: Self.srvHosts, probe: "_matrix-fed._tcp.example.test") { dnsmasq in
            let client = dnsmasq.client()
            try await DNSClientTests.expectSharedAnswers(client)

            let resolver = ServerResolver(srv: client, wellKnown: DiscoveryWellKnownStub())
            #expect(
                await resolver.resolve(try #require(ServerName("multi.test")))
                    == ResolvedDestination(
                        host: "c.example.test", port: 8003, hostHeader: "multi.test", tlsServerName: "multi.test"))
            #expect(
                await resolver.resolve(try #require(ServerName("legacy.test")))
                    == ResolvedDestination(
                        host: "old.example.test", port: 8450, hostHeader: "legacy.test", tlsServerName: "legacy.test"))
        }
    }
}
