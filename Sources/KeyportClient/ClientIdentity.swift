/// Who this store is logged in as: the homeserver, the user, the device and its access token.
public struct ClientIdentity: Sendable, Equatable {
    public var homeserver: String
    public var userID: String
    public var deviceID: String
    public var accessToken: String

    public init(homeserver: String, userID: String, deviceID: String, accessToken: String) {
        self.homeserver = homeserver
        self.userID = userID
        self.deviceID = deviceID
        self.accessToken = accessToken
    }
}

extension StoreTransaction {
    public func identity() throws -> ClientIdentity? {
        guard let homeserver = try meta("homeserver"), let userID = try meta("user_id"),
            let deviceID = try meta("device_id"), let token = try meta("access_token")
        else { return nil }
        return ClientIdentity(homeserver: homeserver, userID: userID, deviceID: deviceID, accessToken: token)
    }

    public func saveIdentity(_ identity: ClientIdentity) throws {
        try setMeta("homeserver", identity.homeserver)
        try setMeta("user_id", identity.userID)
        try setMeta("device_id", identity.deviceID)
        try setMeta("access_token", identity.accessToken)
    }
}
