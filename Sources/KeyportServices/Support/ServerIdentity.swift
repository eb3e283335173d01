import Foundation
public import MatrixModel
public import MatrixSigning

/// Who this server is: its name and its current signing key.
public struct ServerIdentity: Sendable {
    public let serverName: ServerName
    public let signingKey: SigningKey

    public init(serverName: ServerName, signingKey: SigningKey) {
        self.serverName = serverName
        self.signingKey = signingKey
    }

    /// True if the user ID belongs to this server.
    public func isLocal(_ userID: UserID) -> Bool { userID.serverName == serverName }

    /// True if the user ID text parses and belongs to this server.
    public func isLocal(_ userID: String) -> Bool { UserID(userID).map(isLocal) ?? false }

    /// True if `server` is this server's name.
    public func isLocalServer(_ server: String) -> Bool { server == serverName.rawValue }
}

/// Milliseconds since the epoch, injectable for tests.
public struct ServerClock: Sendable {
    public let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) {
        self.now = now
    }

    public static let system = ServerClock { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
