/// Which device-list change a key or signature change is, and who may see it: one rule for every
/// engine, applied inside the engine's transaction to the rows it actually changed.
public enum KeyChangeRules {
    /// A change the engine appends to the device-list stream.
    public struct Change: Sendable, Hashable {
        public var userID: String
        public var kind: DeviceListChange.Kind
        public var deviceID: String?

        public init(userID: String, kind: DeviceListChange.Kind, deviceID: String? = nil) {
            self.userID = userID
            self.kind = kind
            self.deviceID = deviceID
        }
    }

    /// New or replaced cross-signing keys of one user (only those whose stored JSON changed): a
    /// master or self-signing key is a public change; a user-signing key alone is private to the user.
    public static func crossSigningChange(userID: String, changedUsages: [CrossSigningUsage]) -> Change? {
        if changedUsages.contains(where: { $0 != .userSigning }) { return Change(userID: userID, kind: .crossSigning) }
        if changedUsages.contains(.userSigning) { return Change(userID: userID, kind: .privateToUser) }
        return nil
    }

    /// Signatures that were stored or replaced. A signature by a user on their own key is public: on
    /// one of their devices it is a change of that device (its keys now carry it, and other servers
    /// get an `m.device_list_update`), on any other key a cross-signing change. A signature on
    /// another user's key (made with the user-signing key) is private to the signer, unless the
    /// signer also has a public change. In order: public targets sorted, then private signers sorted.
    public static func signatureChanges(
        _ changed: [KeySignature], isDevice: (_ userID: String, _ keyID: String) throws -> Bool
    ) rethrows -> [Change] {
        var publicTargets: Set<[String]> = []
        var publicUsers: Set<String> = []
        var privateSigners: Set<String> = []
        for signature in changed {
            if signature.targetUserID == signature.signerUserID {
                publicUsers.insert(signature.targetUserID)
                publicTargets.insert([signature.targetUserID, signature.targetKeyID])
            } else {
                privateSigners.insert(signature.signerUserID)
            }
        }
        var changes: [Change] = []
        for target in publicTargets.sorted(by: { ($0[0], $0[1]) < ($1[0], $1[1]) }) {
            changes.append(
                try isDevice(target[0], target[1])
                    ? Change(userID: target[0], kind: .device, deviceID: target[1])
                    : Change(userID: target[0], kind: .crossSigning))
        }
        for signer in privateSigners.subtracting(publicUsers).sorted() {
            changes.append(Change(userID: signer, kind: .privateToUser))
        }
        return changes
    }
}
