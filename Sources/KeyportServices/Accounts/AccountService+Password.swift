public import KeyportStore
public import MatrixModel

extension AccountService {
    /// `POST /account/password` (spec "Account management"): the user proves the current password
    /// with `m.login.password` and the new one is stored, hashed as registration hashes it.
    ///
    /// Unless `logout_devices` is false, everything else the user is logged in with goes, as the
    /// spec asks ("the user's other access tokens, and their associated devices"): every other
    /// device, the dehydrated one included, is deleted as `/delete_devices` deletes it (tokens and
    /// keys gone, a device-list change that room-mates and their servers hear of), and then every
    /// other access token, including any other token of the requesting device, as Synapse does.
    /// Only `accessToken`, the one this request came with, stays valid.
    ///
    /// The body is checked before the auth, so a malformed request spends no password attempt.
    /// A deactivated user has no token to get here with; one deactivated while this runs gets
    /// `M_UNKNOWN_TOKEN` and keeps no password.
    public func changePassword(
        session: SessionRecord, accessToken: String, body: JSONObject, address: String? = nil
    ) async throws {
        guard let newPassword = try body.optionalString("new_password") else {
            throw MatrixError.missingParam("Missing 'new_password'")
        }
        try Self.validatePassword(newPassword)
        let logoutDevices = try body.optionalBool("logout_devices") ?? true
        try await requirePassword(auth: try body.optionalObject("auth"), userID: session.userID, address: address)
        let hash = try await hasher.hash(newPassword)
        guard try await store.setPasswordHash(userID: session.userID, hash: hash) else {
            throw MatrixError.unknownToken()
        }
        guard logoutDevices else { return }
        let others = try await store.devices(userID: session.userID).map(\.deviceID)
            .filter { $0 != session.deviceID }
        try await removeDevices(userID: session.userID, deviceIDs: others)
        try await store.deleteAccessTokens(userID: session.userID, keeping: SecureTokens.hash(accessToken))
    }
}
