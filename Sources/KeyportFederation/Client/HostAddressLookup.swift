import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Host name → IP addresses, as bytes. An IP literal is taken as it is; a DNS name goes through
/// the system resolver (`getaddrinfo`), run on NIO's thread pool so the cooperative pool never
/// blocks. A host that `getaddrinfo` would read as an IPv4 address in another notation (`127.1`,
/// `0x7f.1`, `2130706433`, `0177.0.0.1`) is refused: such a name has one meaning for us and
/// another for the socket. The caller checks every address and connects to the canonical text of
/// the one it checked (``IPAddressText/text(_:)``), never to the name again.
enum HostAddressLookup {
    /// Every address of `host`; throws ``FederationError/blocked(_:)`` for a numeric host that is
    /// not a strict IP literal, ``FederationError/unreachable(_:)`` when the name does not resolve.
    static func addresses(of host: String) async throws(FederationError) -> [[UInt8]] {
        if let bytes = IPAddressText.bytes(host) { return [bytes] }
        if host.contains(":") || IPAddressText.looksNumeric(host) {
            throw .blocked("\(host) is not an IP address in its canonical form")
        }
        do {
            return try await NIOThreadPool.singleton.runIfActive { try lookup(host) }
        } catch {
            throw .unreachable("\(error)")
        }
    }

    struct LookupFailed: Error, CustomStringConvertible {
        var description: String
    }

    private static func lookup(_ host: String) throws -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else {
            throw LookupFailed(description: "cannot resolve \(host) (getaddrinfo error \(status))")
        }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var bytes: [UInt8] = []
            if entry.pointee.ai_family == AF_INET, let address = entry.pointee.ai_addr {
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var raw = pointer.pointee.sin_addr
                    bytes = withUnsafeBytes(of: &raw) { Array($0) }
                }
            } else if entry.pointee.ai_family == AF_INET6, let address = entry.pointee.ai_addr {
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var raw = pointer.pointee.sin6_addr
                    bytes = withUnsafeBytes(of: &raw) { Array($0) }
                }
            }
            if !bytes.isEmpty, !addresses.contains(bytes) { addresses.append(bytes) }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}
