public import MatrixModel

/// A user's dehydrated device (MSC3814): a device with keys but no access token, whose to-device
/// messages wait until a client of the user rehydrates it. `deviceData` is the client's
/// encrypted account, kept exactly as uploaded.
public struct DehydratedDeviceRecord: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var deviceData: JSONObject

    public init(userID: String, deviceID: String, deviceData: JSONObject) {
        self.userID = userID
        self.deviceID = deviceID
        self.deviceData = deviceData
    }
}

/// At most one dehydrated device per user. The device is an ordinary row of the user's devices
/// (so `*` to-device messages, key queries and claims find it, and deleting it through
/// ``DeviceStore/deleteDevices(userID:deviceIDs:)`` takes its record too); ``DeviceRecord``
/// marks it with `isDehydrated`.
public protocol DehydratedDeviceStore: Sendable {
    /// The user's dehydrated device, or nil.
    func dehydratedDevice(userID: String) async throws -> DehydratedDeviceRecord?

    /// Makes the device `keys` names (`keys.userID`, `keys.deviceID`) the user's dehydrated device,
    /// in one transaction: deletes the previous one as `deleteDevices` does (keys, inbox,
    /// signatures), creates the device without an access token (recording a device-list change),
    /// applies `keys` as ``KeyStore/uploadKeys(_:)`` does, and records `deviceData`. Returns the ID
    /// of the device it replaced, or nil. Nothing is stored when it throws: ``StoreError/notFound``
    /// if the user does not exist, ``StoreError/conflict(_:)`` if the ID names another of the
    /// user's devices (one that is not the dehydrated device).
    @discardableResult
    func putDehydratedDevice(keys: KeyUpload, deviceData: JSONObject, displayName: String?, now: Int64)
        async throws -> String?

    /// Deletes the user's dehydrated device with everything `deleteDevices` deletes, recording a
    /// device-list change. Returns its ID, or nil when the user had none.
    func deleteDehydratedDevice(userID: String) async throws -> String?
}
