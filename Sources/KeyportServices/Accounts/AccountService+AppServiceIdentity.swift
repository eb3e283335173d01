public import KeyportStore
import MatrixModel

extension AccountService {
    /// The identity a request carrying an application service's `as_token` asserts: the service's
    /// sender, or `userID` (`?user_id=`) when that is a registered local user the service's
    /// namespaces match; on the device `deviceID` names (`?device_id=`, or MSC3202's
    /// `org.matrix.msc3202.device_id`) when the user has it, else on no device. Refusals are
    /// Synapse's: 403 `M_FORBIDDEN` outside the namespace or for a user never registered, 400
    /// `M_EXCLUSIVE` for a device the user does not have.
    public func authenticate(appService service: ApplicationService, userID: String?, deviceID: String?)
        async throws -> SessionRecord
    {
        let user = userID ?? service.sender
        if user != service.sender {
            guard let parsed = UserID(user), identity.isLocal(parsed), service.isInterested(inUser: user) else {
                throw MatrixError.forbidden("Application service cannot masquerade as this user (\(user)).")
            }
            guard try await store.account(userID: user) != nil else {
                throw MatrixError.forbidden("Application service has not registered this user (\(user))")
            }
        }
        if let deviceID {
            guard try await store.device(userID: user, deviceID: deviceID) != nil else {
                throw MatrixError.exclusive(
                    "Application service trying to use a device that doesn't exist ('\(deviceID)' for \(user))")
            }
        }
        return SessionRecord(userID: user, deviceID: deviceID, appServiceID: service.id)
    }
}
