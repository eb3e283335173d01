import NIOSSL

/// The certificates outbound TLS trusts, parsed once for the whole process.
///
/// Every destination has an HTTP client of its own (``HTTPClientCache``), and each client makes its
/// own TLS context. Left to swift-nio-ssl, each context reads and parses the system's CA bundle
/// and `federation_custom_ca_list` again: about 4 MB per context, 3.9 GB for a device change sent
/// to 1,000 servers (`bench/run.sh`, fan-out). Given as certificates, the contexts share the parsed
/// ones and hold only references.
enum TrustRoots {
    /// Where Linux distributions keep their CA bundle (the files swift-nio-ssl looks for).
    static let systemBundlePaths = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    /// The system bundle, parsed the first time it is asked for and then kept: every set of
    /// connections (one per server, and one per test server in the test suite) shares it, where
    /// parsing it again took a thread for a noticeable time each (most of it in debug builds).
    static let systemBundle: [NIOSSLCertificate]? = systemBundlePaths.lazy.compactMap {
        try? NIOSSLCertificate.fromPEMFile($0)
    }.first

    /// The system bundle and the PEM files of `customCAFiles`, parsed; nil when there is no system
    /// bundle or a file cannot be read (the TLS library then reads them itself, and reports).
    static func load(customCAFiles: [String]) -> [NIOSSLCertificate]? {
        guard let system = systemBundle else { return nil }
        do {
            return try customCAFiles.reduce(into: system) { roots, file in
                roots += try NIOSSLCertificate.fromPEMFile(file)
            }
        } catch {
            return nil
        }
    }
}
