public import KeyportStore
public import MatrixModel

extension SessionRecord {
    /// The device the request speaks for. An application service acting as a user without naming
    /// a device (`?device_id=`) has none, and is refused what only a device can do, with Synapse's
    /// words.
    public func requireDevice(to action: String) throws(MatrixError) -> String {
        guard let deviceID else {
            throw MatrixError(
                status: 400, errcode: "M_UNKNOWN", "To \(action), you must pass device_id when authenticating")
        }
        return deviceID
    }
}
