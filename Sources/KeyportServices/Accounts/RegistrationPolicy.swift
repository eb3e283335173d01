/// What the operator allows for creating accounts.
public struct RegistrationPolicy: Sendable {
    /// `enable_registration`: `POST /register` may create accounts.
    public var enabled: Bool
    /// `registration_shared_secret`: enables `/_synapse/admin/v1/register`.
    public var sharedSecret: String?

    public init(enabled: Bool, sharedSecret: String?) {
        self.enabled = enabled
        self.sharedSecret = sharedSecret
    }
}
