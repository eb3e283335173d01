/// Where to open a connection for a server name, and what to present there.
public struct ResolvedDestination: Sendable, Equatable {
    /// The hostname or IP literal to connect to; an IPv6 address is written without brackets.
    public var host: String
    /// The TCP port to connect to.
    public var port: Int
    /// The value of the `Host` header for requests on the connection.
    public var hostHeader: String
    /// The name to send as SNI and to check the certificate against; nil when connecting to an IP literal.
    public var tlsServerName: String?

    public init(host: String, port: Int, hostHeader: String, tlsServerName: String?) {
        self.host = host
        self.port = port
        self.hostHeader = hostHeader
        self.tlsServerName = tlsServerName
    }
}
