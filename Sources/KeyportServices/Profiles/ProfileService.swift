public import KeyportStore
public import MatrixModel

/// Asks other servers for their users' profiles (implemented by the federation module).
public protocol RemoteProfileQuerying: Sendable {
    /// `GET /_matrix/federation/v1/query/profile` on the user's server; nil when it has no such user.
    func profile(of userID: UserID) async throws -> Profile?
}

/// Display names and avatars: read for anyone (local users from the store, others from their
/// server), written only by their owner, and carried into the rooms the owner is in.
public struct ProfileService: Sendable {
    /// Synapse's limits (`MAX_DISPLAYNAME_LEN`, `MAX_AVATAR_URL_LEN`).
    public static let maxDisplayNameLength = 256
    public static let maxAvatarURLLength = 1000

    let store: any ProfileStore
    let identity: ServerIdentity
    let rooms: RoomService
    let remote: (any RemoteProfileQuerying)?

    public init(
        store: any ProfileStore, identity: ServerIdentity, rooms: RoomService,
        remote: (any RemoteProfileQuerying)? = nil
    ) {
        self.store = store
        self.identity = identity
        self.rooms = rooms
        self.remote = remote
    }

    /// The profile of any user; `M_NOT_FOUND` when there is no such user.
    public func profile(of user: String) async throws -> Profile {
        guard let userID = UserID(user) else { throw MatrixError.invalidParam("Invalid user ID '\(user)'") }
        let found: Profile?
        if identity.isLocal(userID) {
            found = try await store.profile(userID: user)
        } else if let remote {
            do {
                found = try await remote.profile(of: userID)
            } catch let error as MatrixError {
                throw error
            } catch {
                throw MatrixError(status: 502, errcode: "M_UNKNOWN", "\(userID.serverName) did not answer: \(error)")
            }
        } else {
            found = nil
        }
        guard let found else { throw MatrixError.notFound("Profile not found") }
        return found
    }

    /// A local user's profile for `/query/profile`; `M_NOT_FOUND` when there is no such user.
    public func localProfile(of user: String) async throws -> Profile {
        guard let userID = UserID(user), identity.isLocal(userID) else {
            throw MatrixError.invalidParam("\(user) is not a user of this server")
        }
        guard let found = try await store.profile(userID: user) else { throw MatrixError.notFound("Profile not found") }
        return found
    }

    /// `PUT /profile/{userId}/displayname` and `/avatar_url`: `field` is `displayname` or
    /// `avatar_url`; an empty string clears it.
    public func set(session: SessionRecord, userID: String, field: String, body: JSONObject) async throws {
        guard userID == session.userID else {
            throw MatrixError.forbidden("Cannot change another user's profile")
        }
        guard let raw = body[field] else { throw MatrixError.missingParam("Missing key '\(field)'") }
        guard let value = raw.stringValue else { throw MatrixError.invalidParam("'\(field)' must be a string") }
        let limit = field == "displayname" ? Self.maxDisplayNameLength : Self.maxAvatarURLLength
        guard value.count <= limit else {
            throw MatrixError.invalidParam("'\(field)' is longer than \(limit) characters")
        }
        guard var profile = try await store.profile(userID: userID) else {
            throw MatrixError.notFound("Profile not found")
        }
        let newValue = value.isEmpty ? nil : value
        if field == "displayname" { profile.displayName = newValue } else { profile.avatarURL = newValue }
        _ = try await store.setProfile(userID: userID, profile)
        try await rooms.profileChanged(userID: userID)
    }

    /// The JSON of a profile, or of one of its fields.
    public static func json(_ profile: Profile, field: String? = nil) -> JSONObject {
        var object: JSONObject = [:]
        if field == nil || field == "displayname", let name = profile.displayName {
            object["displayname"] = .string(name)
        }
        if field == nil || field == "avatar_url", let avatar = profile.avatarURL {
            object["avatar_url"] = .string(avatar)
        }
        return object
    }
}
