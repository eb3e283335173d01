import AsyncHTTPClient
import Foundation
import KeyportTestSupport
import NIOSSL
import Testing

@testable import KeyportFederation

/// Outbound TLS trusts the system's CAs and `federation_custom_ca_list`, parsed once and shared by
/// every destination's client, and still refuses a server whose certificate no listed CA signed.
@Suite struct TrustRootsTests {
    private func certificates() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try TestCertificates.make(in: directory, dnsNames: ["localhost"])
    }

    /// The status of `GET /probe` on the TLS server at `port`, through connections trusting `customCAFiles`.
    /// A refused handshake is retried by AsyncHTTPClient until the timeout, so the refusals have a short one.
    private func probe(port: Int, customCAFiles: [String], timeout: Duration = .seconds(10)) async throws -> Int {
        let settings = FederationClientSettings(
            customCAFiles: customCAFiles, blacklist: try IPRangeSet([]), whitelist: try IPRangeSet(["127.0.0.0/8"]))
        let connections = FederationConnections(settings: settings, scheme: "https")
        let request = HTTPClientRequest(url: "https://localhost:\(port)/probe")
        do throws(FederationError) {
            let answer = try await connections.execute(
                request, serverName: "localhost", address: "127.0.0.1", timeout: timeout, limit: 1024)
            await connections.shutdown()
            return answer.status
        } catch {
            await connections.shutdown()
            throw error
        }
    }

    @Test func theListedCAIsTrustedAndAnUnlistedOneIsNot() async throws {
        let server = try certificates()
        let stranger = try certificates()
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(server.certificateChainPath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: server.privateKeyPath, format: .pem)))
        try await withStaticHTTPServer(routes: ["/probe": .init(status: 200, body: "{}")], tls: tls) { http throws in
            let status = try await probe(port: http.port, customCAFiles: [server.authorityPath])
            #expect(status == 200)
            // Refused by the certificate check itself, not by a timeout or anything else on the way.
            for untrusted in [[stranger.authorityPath], []] {
                let error = await #expect(throws: FederationError.self) {
                    try await probe(port: http.port, customCAFiles: untrusted, timeout: .seconds(2))
                }
                #expect(
                    "\(String(describing: error))".contains("CERTIFICATE_VERIFY_FAILED"), "\(String(describing: error))"
                )
            }
        }
    }

    @Test func theRootsAreParsedOnceWithTheSystemBundle() throws {
        let server = try certificates()
        let settings = FederationClientSettings(
            customCAFiles: [server.authorityPath], blacklist: try IPRangeSet([]), whitelist: try IPRangeSet([]))
        guard case .certificates(let roots) = settings.tlsConfiguration.trustRoots else {
            Issue.record("the trust roots are not given as parsed certificates")
            return
        }
        let authority = try NIOSSLCertificate.fromPEMFile(server.authorityPath)
        #expect(roots.contains(authority[0]))
        #expect(roots.count > authority.count)  // the system's CAs too
        #expect(settings.tlsConfiguration.additionalTrustRoots.isEmpty)
    }
}
