/// Failures a store reports as domain outcomes. Engine errors (I/O, corruption) are thrown as
/// they are and become 500s after logging; these are the ones services turn into Matrix errors.
public enum StoreError: Error, Sendable, Equatable {
    /// A unique value already exists (user ID taken, device owned by someone else).
    case conflict(String)
    /// A one-time or fallback key ID was uploaded before with different content.
    case keyConflict(keyID: String)
    /// The device's ed25519 identity key differs from the stored one.
    case identityKeyChanged
    /// The row the operation needs does not exist.
    case notFound
}
