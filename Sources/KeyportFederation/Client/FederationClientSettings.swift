public import NIOSSL

/// How outbound federation connections are made (Synapse's names in the configuration).
public struct FederationClientSettings: Sendable {
    /// `federation_verify_certificates`.
    public var verifyCertificates: Bool
    /// `federation_custom_ca_list`: PEM files of extra trusted roots.
    public var customCAFiles: [String]
    /// `ip_range_blacklist` and `ip_range_whitelist`: the whitelist wins. ``IPRangeSet/alwaysBlocked``
    /// is blocked whatever the blacklist says, as in Synapse.
    public var blacklist: IPRangeSet
    public var whitelist: IPRangeSet
    public var connectTimeout: Duration
    /// The most bytes of answers being read at once, across all outbound requests; an answer that
    /// would go past it fails (``FederationError/overloaded(_:)``) instead of waiting.
    public var maxBytesInFlight: Int
    /// Host name → addresses; tests replace the system resolver.
    var lookup: @Sendable (String) async throws(FederationError) -> [[UInt8]] = HostAddressLookup.addresses

    public init(
        verifyCertificates: Bool = true, customCAFiles: [String] = [], blacklist: IPRangeSet, whitelist: IPRangeSet,
        connectTimeout: Duration = .seconds(10), maxBytesInFlight: Int = FederationResponseLimit.bytesInFlight
    ) {
        self.verifyCertificates = verifyCertificates
        self.customCAFiles = customCAFiles
        self.blacklist = blacklist
        self.whitelist = whitelist
        self.connectTimeout = connectTimeout
        self.maxBytesInFlight = maxBytesInFlight
    }
}

extension FederationClientSettings {
    /// The client TLS settings: system roots plus `federation_custom_ca_list`, parsed once (see
    /// ``TrustRoots``), or no verification.
    public var tlsConfiguration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if verifyCertificates {
            if let roots = TrustRoots.load(customCAFiles: customCAFiles) {
                tls.trustRoots = .certificates(roots)
            } else {
                tls.additionalTrustRoots = customCAFiles.map { .file($0) }
            }
        } else {
            tls.certificateVerification = .none
        }
        return tls
    }

    /// Whether outbound requests may not reach `address` (4 or 16 bytes).
    func isBlocked(_ address: [UInt8]) -> Bool {
        guard blacklist.contains(bytes: address) || IPRangeSet.alwaysBlockedSet.contains(bytes: address) else {
            return false
        }
        return !whitelist.contains(bytes: address)
    }

    /// The address to connect to for `host`, as canonical text. Every address the host has is
    /// checked, and one blocked address refuses them all (as Synapse's resolver does), so a name
    /// cannot smuggle a private address in beside a public one.
    func checkedAddress(for host: String) async throws(FederationError) -> String {
        let addresses = try await lookup(host)
        guard let first = addresses.first else { throw .unreachable("\(host) has no address") }
        if let blocked = addresses.first(where: isBlocked) {
            throw .blocked("\(host) has the address \(IPAddressText.text(blocked)), which ip_range_blacklist refuses")
        }
        return IPAddressText.text(first)
    }
}
