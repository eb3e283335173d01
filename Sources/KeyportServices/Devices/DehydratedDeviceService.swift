public import KeyportStore
public import MatrixModel

/// Dehydrated devices ([MSC3814](https://github.com/matrix-org/matrix-spec-proposals/pull/3814)):
/// one per user, uploaded with its keys in one request, holding to-device messages (room keys)
/// until a client of the user rehydrates it and reads them.
///
/// Where the MSC is silent this follows Synapse's answers, except where noted: keys are checked
/// as `/keys/upload` checks them (Synapse stores them unchecked), and a `device_id` that names
/// one of the user's other devices is refused (Synapse would turn that device into the
/// dehydrated one, so deleting it would log the client out).
public struct DehydratedDeviceService: Sendable {
    /// The most messages one page of `events` holds, as in `/sync` (Synapse has no cap).
    public static let pageLimit = 100

    let store: any DehydratedDeviceStore & ToDeviceStore
    let keys: KeyService
    let clock: ServerClock
    let notifications: ChangeNotifications

    public init(
        store: any DehydratedDeviceStore & ToDeviceStore, keys: KeyService, clock: ServerClock,
        notifications: ChangeNotifications
    ) {
        self.store = store
        self.keys = keys
        self.clock = clock
        self.notifications = notifications
    }

    /// `PUT /dehydrated_device`: replaces the user's dehydrated device (its keys and messages go
    /// with it) by the one in `body`, whose `device_keys` are required and whose keys are checked
    /// as `/keys/upload` checks them. Missing fields are `M_MISSING_PARAM`, as Synapse answers.
    /// Returns the new device's ID.
    public func put(userID: String, body: JSONObject) async throws -> String {
        for field in ["device_id", "device_data", "device_keys"] where body[field] == nil {
            throw MatrixError.missingParam("Missing field '\(field)'")
        }
        let deviceID = try body.requiredString("device_id")
        try AccountService.validateDeviceID(deviceID)
        let deviceData = try body.requiredObject("device_data")
        guard deviceData["algorithm"] != nil else {
            throw MatrixError.missingParam("Missing field 'device_data.algorithm'")
        }
        guard deviceData["algorithm"]?.stringValue != nil else {
            throw MatrixError.badJSON("Field 'device_data.algorithm' must be a string")
        }
        let displayName = try body.optionalString("initial_device_display_name")
        try DeviceService.checkDisplayName(displayName, field: "initial_device_display_name")
        _ = try body.requiredObject("device_keys")
        let upload = try await keys.validatedUpload(userID: userID, deviceID: deviceID, body: body)
        do {
            _ = try await KeyService.refusingKeyConflicts(deviceID: deviceID) {
                try await store.putDehydratedDevice(
                    keys: upload, deviceData: deviceData, displayName: displayName, now: clock.now())
            }
        } catch StoreError.conflict {
            throw MatrixError.invalidParam("device_id names one of your devices that is not your dehydrated device")
        }
        try await notifications.deviceListChanged(of: userID)
        return deviceID
    }

    /// `GET /dehydrated_device`; 404 `M_NOT_FOUND` when the user has none.
    public func get(userID: String) async throws -> DehydratedDeviceRecord {
        guard let device = try await store.dehydratedDevice(userID: userID) else { throw Self.noDevice }
        return device
    }

    /// `DELETE /dehydrated_device`: the device goes with its keys and messages. Returns its ID;
    /// 404 `M_NOT_FOUND` when the user has none.
    public func delete(userID: String) async throws -> String {
        guard let deviceID = try await store.deleteDehydratedDevice(userID: userID) else { throw Self.noDevice }
        try await notifications.deviceListChanged(of: userID)
        return deviceID
    }

    static let noDevice = MatrixError.notFound("No dehydrated device available")
}
