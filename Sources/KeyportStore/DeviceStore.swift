/// Devices of local users. Every operation that adds, renames or removes a device appends a
/// ``DeviceListChange`` of kind `device` in the same transaction.
public protocol DeviceStore: Sendable {
    /// Logs a device in: creates it if it does not exist (recording a device-list change) or
    /// re-uses it, and stores a new access token for it. Throws ``StoreError/notFound`` if the
    /// user does not exist.
    func createSession(
        userID: String, deviceID: String, initialDisplayName: String?, tokenHash: String, now: Int64
    ) async throws

    /// The user's devices ordered by device ID, the dehydrated one included (marked).
    func devices(userID: String) async throws -> [DeviceRecord]

    /// One device, or nil.
    func device(userID: String, deviceID: String) async throws -> DeviceRecord?

    /// Sets the display name; records a change if it differs. Returns false if no such device.
    func setDisplayName(userID: String, deviceID: String, displayName: String?) async throws -> Bool

    /// Deletes the devices with their access tokens, device keys, one-time keys, fallback keys,
    /// pending to-device messages, to-device transaction IDs and dehydrated-device record, recording
    /// a change for each device that existed. Returns the IDs that existed.
    @discardableResult
    func deleteDevices(userID: String, deviceIDs: [String]) async throws -> [String]

    /// Records that a device was used now from an address (best effort, not a device-list change).
    func touchDevice(userID: String, deviceID: String, ip: String?, now: Int64) async throws
}
