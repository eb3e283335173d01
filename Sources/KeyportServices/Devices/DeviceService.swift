public import KeyportStore
public import MatrixModel

/// A user's devices: list, show, rename, delete (with user-interactive auth). The dehydrated
/// device (MSC3814) is not one of them here: it is not listed, shown or renamed, as the issue asks
/// (Synapse lists it as an ordinary device). It can be deleted like any device, as the MSC says.
public struct DeviceService: Sendable {
    let store: any DeviceStore
    let accounts: AccountService
    let notifications: ChangeNotifications

    public init(store: any DeviceStore, accounts: AccountService, notifications: ChangeNotifications) {
        self.store = store
        self.accounts = accounts
        self.notifications = notifications
    }

    /// The user's devices, without the dehydrated one.
    public func devices(userID: String) async throws -> [DeviceRecord] {
        try await store.devices(userID: userID).filter { !$0.isDehydrated }
    }

    /// One of the user's own devices; 404 for unknown ones, including other users' devices and
    /// the dehydrated device.
    public func device(userID: String, deviceID: String) async throws -> DeviceRecord {
        guard let device = try await store.device(userID: userID, deviceID: deviceID), !device.isDehydrated else {
            throw MatrixError.notFound("Device not found")
        }
        return device
    }

    /// Refuses a display name longer than a device may have.
    static func checkDisplayName(_ displayName: String?, field: String) throws(MatrixError) {
        if let displayName, displayName.utf8.count > 1000 { throw .invalidParam("\(field) is too long") }
    }

    /// Renames a device (a device-list change when the name differs).
    public func rename(userID: String, deviceID: String, displayName: String?) async throws {
        try Self.checkDisplayName(displayName, field: "display_name")
        _ = try await device(userID: userID, deviceID: deviceID)
        guard try await store.setDisplayName(userID: userID, deviceID: deviceID, displayName: displayName) else {
            throw MatrixError.notFound("Device not found")
        }
        try await notifications.deviceListChanged(of: userID)
    }

    /// Deletes one of the user's devices, the dehydrated one included, after password auth; 404
    /// if the user has no such device.
    public func delete(userID: String, deviceID: String, auth: JSONObject?, address: String? = nil) async throws {
        guard try await store.device(userID: userID, deviceID: deviceID) != nil else {
            throw MatrixError.notFound("Device not found")
        }
        try await accounts.requirePassword(auth: auth, userID: userID, address: address)
        try await accounts.removeDevices(userID: userID, deviceIDs: [deviceID])
    }

    /// Deletes several devices after password auth; unknown ones are skipped.
    public func delete(userID: String, deviceIDs: [String], auth: JSONObject?, address: String? = nil) async throws {
        try await accounts.requirePassword(auth: auth, userID: userID, address: address)
        try await accounts.removeDevices(userID: userID, deviceIDs: deviceIDs)
    }
}
