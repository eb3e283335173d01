/// Which of a user's devices a to-device message goes to: `*` means every device the user has when
/// the message is stored; a named device gets it only if it exists (a message for a device that
/// does not exist is dropped, as Synapse does).
public enum ToDeviceRecipientRule {
    public static let allDevices = "*"

    /// The devices to deliver to, given the user's current devices.
    public static func devices(for requested: String, existing: [String]) -> [String] {
        requested == allDevices ? existing.sorted() : existing.filter { $0 == requested }
    }
}
