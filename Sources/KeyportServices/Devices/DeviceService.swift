public import KeyportStore
public import MatrixModel

/// A user's devices: list, show, rename, delete (with user-interactive auth).
public struct DeviceService: Sendable {
    let store: any DeviceStore
    let accounts: AccountService
    let notifications: ChangeNotifications

    public init(store: any DeviceStore, accounts: AccountService, notifications: ChangeNotifications) {
        self.store = store
        self.accounts = accounts
        self.notifications = notifications
    }

    public func devices(userID: String) async throws -> [DeviceRecord] {
        try await store.devices(userID: userID)
    }

    /// One of the user's own devices; 404 for unknown ones, including other users' devices.
    public func device(userID: String, deviceID: String) async throws -> DeviceRecord {
        guard let device = try await store.device(userID: userID, deviceID: deviceID) else {
            throw MatrixError.notFound("Device not found")
        }
        return device
    }

    /// Renames a device (a device-list change when the name differs).
    public func rename(userID: String, deviceID: String, displayName: String?) async throws {
        if let displayName, displayName.utf8.count > 1000 {
            throw MatrixError.invalidParam("display_name is too long")
        }
        guard try await store.setDisplayName(userID: userID, deviceID: deviceID, displayName: displayName) else {
            throw MatrixError.notFound("Device not found")
        }
        try await notifications.deviceListChanged(of: userID)
    }

    /// Deletes one of the user's devices after password auth; 404 if the user has no such device.
    public func delete(userID: String, deviceID: String, auth: JSONObject?, address: String? = nil) async throws {
        _ = try await device(userID: userID, deviceID: deviceID)
        try await accounts.requirePassword(auth: auth, userID: userID, address: address)
        try await store.deleteDevices(userID: userID, deviceIDs: [deviceID])
        try await notifications.deviceListChanged(of: userID)
    }

    /// Deletes several devices after password auth; unknown ones are skipped.
    public func delete(userID: String, deviceIDs: [String], auth: JSONObject?, address: String? = nil) async throws {
        try await accounts.requirePassword(auth: auth, userID: userID, address: address)
        try await store.deleteDevices(userID: userID, deviceIDs: deviceIDs)
        try await notifications.deviceListChanged(of: userID)
    }
}
