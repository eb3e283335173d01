public import KeyportServices
public import KeyportStore
public import MatrixModel

/// Other servers' users' profiles, asked for when a client reads one
/// (`GET /_matrix/federation/v1/query/profile`). Not cached: profiles are read rarely here.
public struct RemoteProfileDirectory: RemoteProfileQuerying {
    let client: FederationClient

    public init(client: FederationClient) {
        self.client = client
    }

    public func profile(of userID: UserID) async throws -> Profile? {
        // Unreserved characters only: the same encoding serves a path segment and a query value.
        let query = "user_id=\(userID.rawValue.addingPercentEncodingForPath())"
        let answer = try await fetch(userID.serverName.rawValue, path: "/_matrix/federation/v1/query/profile?\(query)")
        guard let answer else { return nil }
        return Profile(
            displayName: Self.field(answer, "displayname", limit: ProfileService.maxDisplayNameLength),
            avatarURL: Self.field(answer, "avatar_url", limit: ProfileService.maxAvatarURLLength))
    }

    /// The answer, or nil when the server says 404 (no such user).
    private func fetch(_ server: String, path: String) async throws -> JSONObject? {
        do {
            return try await client.request(
                server, method: "GET", path: path, timeout: .seconds(10),
                maxResponseBytes: FederationResponseLimit.profile)
        } catch {
            if case .status(404, _) = error { return nil }
            throw error
        }
    }

    /// Only strings of sane length are believed.
    static func field(_ answer: JSONObject, _ key: String, limit: Int) -> String? {
        guard let value = answer[key]?.stringValue, value.count <= limit else { return nil }
        return value
    }
}
