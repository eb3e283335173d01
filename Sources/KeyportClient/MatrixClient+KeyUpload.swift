import KeyportClientCrypto
import MatrixModel

/// Device keys, one-time keys and fallback keys (`/keys/upload`). New keys are saved in the account
/// before they are uploaded and marked published only after the server took them, so a crash in
/// between uploads the same keys again rather than losing or replacing them.
extension MatrixClient {
    /// Keep at least half of vodozemac's suggested 50 one-time keys on the server.
    static let oneTimeKeyTarget = Int64(OlmAccount.maxPublishedOneTimeKeys)

    /// Uploads the device keys (first time only), tops the one-time keys up to the target given the
    /// server's count, and makes a new fallback key when the server has none unused.
    public func uploadKeys(serverCount: Int64? = nil, fallbackKeyPresent: Bool? = nil) async throws {
        let userID = userID
        let deviceID = deviceID
        let target = Self.oneTimeKeyTarget
        let body: JSONObject? = try await store.write { tx in
            var account = try tx.requireAccount()
            let firstUpload = try tx.meta("device_keys_uploaded") == nil
            let count = serverCount ?? (firstUpload ? 0 : target)
            var changed = false
            if account.unpublishedOneTimeKeys.isEmpty, count < target / 2 || firstUpload {
                account.generateOneTimeKeys(Int(target - count))
                changed = true
            }
            if firstUpload || fallbackKeyPresent == false, account.unpublishedFallbackKey == nil {
                account.generateFallbackKey()
                changed = true
            }
            if changed { try tx.saveAccount(account) }
            var body: JSONObject = [:]
            if firstUpload { body["device_keys"] = .object(try account.deviceKeys(userID: userID, deviceID: deviceID)) }
            let oneTime = try account.signedOneTimeKeys(userID: userID, deviceID: deviceID)
            if !oneTime.isEmpty { body["one_time_keys"] = .object(oneTime) }
            let fallback = try account.signedFallbackKeys(userID: userID, deviceID: deviceID)
            if !fallback.isEmpty { body["fallback_keys"] = .object(fallback) }
            return body.isEmpty ? nil : body
        }
        guard let body else { return }
        do {
            try await api.call(.post, "/keys/upload", body: .object(body))
        } catch let error as HomeserverError {
            throw error.clientError
        }
        try await store.write { tx in
            var account = try tx.requireAccount()
            account.markKeysAsPublished()
            try tx.saveAccount(account)
            try tx.setMeta("device_keys_uploaded", "1")
        }
    }
}
