/// What the operator allows for creating accounts.
public struct RegistrationPolicy: Sendable {
    /// `enable_registration`: `POST /register` may create accounts.
    public var enabled: Bool
    /// `registration_shared_secret`: enables `/_synapse/admin/v1/register`.
    public var sharedSecret: String?
    /// The configured application services: the users their exclusive namespaces match are
    /// theirs alone to register.
    public var applicationServices: ApplicationServiceRegistry

    public init(
        enabled: Bool, sharedSecret: String?, applicationServices: ApplicationServiceRegistry = .init()
    ) {
        self.enabled = enabled
        self.sharedSecret = sharedSecret
        self.applicationServices = applicationServices
    }
}
