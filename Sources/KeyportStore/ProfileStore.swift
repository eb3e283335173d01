/// A user's display name and avatar.
public struct Profile: Sendable, Equatable {
    public var displayName: String?
    public var avatarURL: String?

    public init(displayName: String? = nil, avatarURL: String? = nil) {
        self.displayName = displayName
        self.avatarURL = avatarURL
    }
}

/// Local users' profiles, kept with their accounts.
public protocol ProfileStore: Sendable {
    /// The profile of an existing account (empty fields when never set); nil when there is no
    /// such account.
    func profile(userID: String) async throws -> Profile?
    /// Replaces both fields; false when there is no such account.
    func setProfile(userID: String, _ profile: Profile) async throws -> Bool
}
