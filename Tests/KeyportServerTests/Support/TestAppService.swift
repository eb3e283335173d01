import KeyportServices
import Testing

extension ApplicationService {
    /// A service for tests: `id`, tokens `as-<id>` and `hs-<id>` unless given, sender
    /// `@<id>bot:test.local`, owning exclusively the users `usersRegex` matches.
    static func exclusive(
        _ id: String, users usersRegex: String, url: String? = nil, asToken: String? = nil, hsToken: String? = nil,
        rateLimited: Bool = true, receivesEphemeral: Bool = false, receivesDeviceData: Bool = false
    ) throws -> ApplicationService {
        ApplicationService(
            id: id, url: url, asToken: asToken ?? "as-\(id)", hsToken: hsToken ?? "hs-\(id)",
            sender: "@\(id)bot:test.local",
            namespaces: [.users: [try #require(Namespace(regex: usersRegex, exclusive: true))]],
            rateLimited: rateLimited, receivesEphemeral: receivesEphemeral, receivesDeviceData: receivesDeviceData)
    }
}
