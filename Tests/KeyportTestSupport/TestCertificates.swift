import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority and one server certificate it signed, made in Swift with
/// swift-certificates and written as PEM files, so TLS tests need no `openssl` binary.
///
/// Keys are P-256. The CA is a v3 CA certificate (basic constraints, keyCertSign); the leaf names
/// its hosts in a subjectAltName and is good for TLS server and client authentication. Both are
/// valid from an hour ago for two days.
public struct TestCertificates: Sendable {
    /// The CA certificate, for a trust list such as `federation_custom_ca_list`.
    public let authorityPath: String
    /// The leaf certificate followed by the CA certificate, for a TLS listener.
    public let certificateChainPath: String
    /// The leaf's private key (PKCS #8).
    public let privateKeyPath: String

    /// Makes the CA and a leaf for `dnsNames` (the first is also its common name), and writes
    /// `ca.pem`, `chain.pem` and `key.pem` into `directory`.
    public static func make(in directory: String, dnsNames: [String]) throws -> TestCertificates {
        let now = Date()
        let validFrom = now - 3600
        let validUntil = now + 2 * 24 * 3600

        let authorityKey = P256.Signing.PrivateKey()
        let authorityPublicKey = Certificate.PublicKey(authorityKey.publicKey)
        let authorityName = try DistinguishedName { CommonName("Keyport test CA") }
        let authorityKeyID = SubjectKeyIdentifier(hash: authorityPublicKey)
        let authority = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: authorityPublicKey,
            notValidBefore: validFrom, notValidAfter: validUntil, issuer: authorityName, subject: authorityName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                authorityKeyID
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey))

        let leafKey = P256.Signing.PrivateKey()
        let leafPublicKey = Certificate.PublicKey(leafKey.publicKey)
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: leafPublicKey,
            notValidBefore: validFrom, notValidAfter: validUntil, issuer: authorityName,
            subject: try DistinguishedName { CommonName(dnsNames.first ?? "localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(dnsNames.map(GeneralName.dnsName))
                SubjectKeyIdentifier(hash: leafPublicKey)
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyID.keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey))

        let files = TestCertificates(
            authorityPath: directory + "/ca.pem", certificateChainPath: directory + "/chain.pem",
            privateKeyPath: directory + "/key.pem")
        let authorityPEM = try authority.serializeAsPEM().pemString
        try write(authorityPEM, to: files.authorityPath)
        try write(try leaf.serializeAsPEM().pemString + "\n" + authorityPEM, to: files.certificateChainPath)
        try write(leafKey.pemRepresentation, to: files.privateKeyPath)
        return files
    }

    private static func write(_ text: String, to path: String) throws {
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
