import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The certificates of the fan-out scenario's stub servers: a CA of the benchmark's own, which
/// Keyport trusts through `federation_custom_ca_list`, and one leaf per `127.0.G.0/24` naming the
/// addresses `127.0.G.1` to `127.0.G.250` in IP subjectAltNames, so Keyport checks every connection
/// as it checks a real server's (a certificate per address would make 10,000 of them; one for all
/// would send 10,000 names in every handshake).
struct FanOutCertificates {
    let authority: Certificate
    let authorityKey: P256.Signing.PrivateKey

    static func authorityPath(in directory: String) -> String { directory + "/ca.pem" }
    private static func keyPath(in directory: String) -> String { directory + "/ca-key.pem" }

    /// Makes the CA and writes `ca.pem` (for Keyport's configuration) and its key into `directory`.
    static func makeAuthority(in directory: String) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("keyport-bench fan-out CA") }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let now = Date()
        let authority = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now - 3600, notValidAfter: now + 7 * 24 * 3600, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (try authority.serializeAsPEM().pemString + "\n").write(
            toFile: authorityPath(in: directory), atomically: true, encoding: .utf8)
        try (key.pemRepresentation + "\n").write(toFile: keyPath(in: directory), atomically: true, encoding: .utf8)
    }

    /// The CA `makeAuthority(in:)` wrote.
    init(directory: String) throws {
        authority = try Certificate(
            pemEncoded: String(contentsOfFile: Self.authorityPath(in: directory), encoding: .utf8))
        authorityKey = try P256.Signing.PrivateKey(
            pemRepresentation: String(contentsOfFile: Self.keyPath(in: directory), encoding: .utf8))
    }

    /// A TLS server context whose certificate names `127.0.<octet>.1` to `127.0.<octet>.250`.
    func serverContext(thirdOctet octet: UInt8) throws -> NIOSSLContext {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let now = Date()
        let addresses = (UInt8(1)...UInt8(250)).map {
            GeneralName.ipAddress(ASN1OctetString(contentBytes: [127, 0, octet, $0]))
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now - 3600, notValidAfter: now + 7 * 24 * 3600, issuer: authority.subject,
            subject: try DistinguishedName { CommonName("127.0.\(octet).1") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(addresses)
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey))
        let chain = try [leaf, authority].map {
            try NIOSSLCertificate(bytes: Array($0.serializeAsPEM().pemString.utf8), format: .pem)
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }
}
