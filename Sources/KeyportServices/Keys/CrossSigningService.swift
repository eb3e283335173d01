public import KeyportStore
public import MatrixModel
import MatrixSigning

/// Cross-signing keys (`/keys/device_signing/upload`) and signatures (`/keys/signatures/upload`).
public struct CrossSigningService: Sendable {
    let store: any CrossSigningStore & KeyStore & DeviceStore
    let accounts: AccountService
    let identity: ServerIdentity
    let notifications: ChangeNotifications
    /// Where other servers' users' master keys come from, for signatures on them.
    let keys: KeyService?

    public init(
        store: any CrossSigningStore & KeyStore & DeviceStore, accounts: AccountService, identity: ServerIdentity,
        notifications: ChangeNotifications, keys: KeyService? = nil
    ) {
        self.store = store
        self.keys = keys
        self.accounts = accounts
        self.identity = identity
        self.notifications = notifications
    }

    /// Parses one uploaded cross-signing key: owner, usage, exactly one `ed25519:<pub>` = `<pub>`.
    static func parseKey(
        _ object: JSONObject, field: String, usage: CrossSigningUsage, userID: String
    ) throws(MatrixError) -> CrossSigningKeyRecord {
        let owner = try object.requiredString("user_id")
        let usages = try object.requiredStringArray("usage")
        let keys = try object.requiredObject("keys")
        if let signatures = object["signatures"], signatures.objectValue == nil {
            throw .badJSON("\(field).signatures must be an object")
        }
        guard owner == userID else { throw .invalidParam("\(field).user_id does not match the authenticated user") }
        guard usages.contains(usage.rawValue) else {
            throw .invalidParam("\(field).usage must contain '\(usage.rawValue)'")
        }
        guard keys.count == 1, let (keyID, value) = keys.first, let publicKey = value.stringValue,
            keyID == "ed25519:\(publicKey)", let bytes = Base64Unpadded.decode(publicKey), bytes.count == 32
        else { throw .invalidParam("\(field).keys must hold one entry 'ed25519:<public key>': '<public key>'") }
        var stored = object
        stored["unsigned"] = nil
        return CrossSigningKeyRecord(usage: usage, publicKey: publicKey, object: stored)
    }

    /// `POST /keys/device_signing/upload`.
    public func uploadKeys(session: SessionRecord, body: JSONObject, address: String? = nil) async throws {
        let userID = session.userID
        var uploaded: [CrossSigningKeyRecord] = []
        for (field, usage) in [
            ("master_key", CrossSigningUsage.master), ("self_signing_key", .selfSigning),
            ("user_signing_key", .userSigning),
        ] {
            if let object = try body.optionalObject(field) {
                uploaded.append(try Self.parseKey(object, field: field, usage: usage, userID: userID))
            }
        }
        let stored = try await store.crossSigningKeys(userID: userID)
        // Replacing keys needs the password, unless nothing is stored yet or nothing changes (MSC3967).
        let changes = uploaded.contains { stored[$0.usage]?.object != $0.object }
        if stored[.master] != nil, changes {
            try await accounts.requirePassword(
                auth: try body.optionalObject("auth"), userID: userID, address: address)
        }
        guard !uploaded.isEmpty else { return }
        let master = uploaded.first { $0.usage == .master } ?? stored[.master]
        // Device keys and cross-signing keys share the `ed25519:<id>` namespace.
        let deviceIDs = Set(try await store.devices(userID: userID).map(\.deviceID))
        if let clash = uploaded.first(where: { deviceIDs.contains($0.publicKey) }) {
            throw MatrixError.forbidden("The \(clash.usage.rawValue) key's public key equals one of your device IDs")
        }
        for key in uploaded where key.usage != .master {
            guard let master else {
                throw MatrixError.missingParam("No master key is available to sign the \(key.usage.rawValue) key")
            }
            let check = SignedJSON.verify(
                key.object, entity: userID, keyID: "ed25519:\(master.publicKey)", publicKeyBase64: master.publicKey)
            guard check.isValid else {
                throw MatrixError.invalidSignature("The \(key.usage.rawValue) key is not signed by the master key")
            }
        }
        try await store.setCrossSigningKeys(userID: userID, keys: uploaded)
        try await notifications.deviceListChanged(of: userID)
    }
}
