/// Who gets and who gives Megolm keys outside `m.room_key` (CVE-2022-39249 and its siblings): a
/// key goes only to another device of our own user that this device verified, and a forwarded key
/// is accepted only from such a device, only for a session we asked for. Pure rules, no I/O.
public enum KeyRequestPolicy {
    public enum Decision: Sendable, Equatable {
        case share
        case refuse(String)
    }

    /// Whether to answer `m.room_key_request` from `requester` with `m.forwarded_room_key`.
    /// `device` is what `/keys/query` says about the requesting device, `verified` whether this
    /// device verified it (its fingerprint, compared by the user, still being its key).
    public static func answer(
        requester: DeviceRef, ownUserID: String, ownDeviceID: String, device: DeviceInfo?, verified: Bool,
        haveSession: Bool
    ) -> Decision {
        guard requester.userID == ownUserID else { return .refuse("the request comes from another user") }
        guard requester.deviceID != ownDeviceID else { return .refuse("the request comes from this device") }
        guard let device, !device.deleted else { return .refuse("the requesting device is unknown") }
        guard verified else { return .refuse("the requesting device is not verified") }
        guard haveSession else { return .refuse("this device does not hold the session") }
        return .share
    }

    /// Whether to import an `m.forwarded_room_key` that arrived over Olm from `senderDevice` (the
    /// device owning the Olm session's Curve25519 key), sent by `sender`.
    public static func acceptForwardedKey(
        sender: String, senderDevice: DeviceInfo?, ownUserID: String, ownDeviceID: String, verified: Bool,
        requested: Bool
    ) -> Decision {
        guard sender == ownUserID else { return .refuse("forwarded keys are accepted only from our own devices") }
        guard let senderDevice, senderDevice.userID == ownUserID, !senderDevice.deleted else {
            return .refuse("the forwarding device is unknown")
        }
        guard senderDevice.deviceID != ownDeviceID else { return .refuse("the key claims to come from this device") }
        guard verified else { return .refuse("the forwarding device is not verified") }
        guard requested else { return .refuse("this device did not ask for the session") }
        return .share
    }
}
