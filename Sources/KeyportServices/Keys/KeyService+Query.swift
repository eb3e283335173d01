import KeyportStore
public import MatrixModel

extension KeyService {
    /// Parses `{user_id: [device_id]}`; an object in place of the list is `M_BAD_JSON`.
    public static func queryRequest(_ body: JSONObject) throws(MatrixError) -> [String: [String]] {
        let request = try body.requiredObject("device_keys")
        var parsed: [String: [String]] = [:]
        for (userID, devices) in request {
            guard UserID(userID) != nil else { throw .invalidParam("Invalid user ID '\(userID)'") }
            guard let list = devices.arrayValue else {
                throw .badJSON("device_keys.\(userID) must be a list of device IDs")
            }
            var deviceIDs: [String] = []
            for device in list {
                guard let deviceID = device.stringValue else {
                    throw .badJSON("device_keys.\(userID) must hold strings")
                }
                deviceIDs.append(deviceID)
            }
            parsed[userID] = deviceIDs
        }
        guard parsed.count <= 10_000 else { throw .invalidParam("Too many users in one query") }
        return parsed
    }

    /// `POST /keys/query`: local users from the store, remote users from the federation module
    /// (cache or their servers, concurrently, bounded by `timeout`); unreachable servers go to
    /// `failures` while every other answer still comes back.
    public func query(requester: String, body: JSONObject) async throws -> JSONValue {
        let request = try Self.queryRequest(body)
        var local: [String: [String]] = [:]
        var remoteRequest: [String: [String]] = [:]
        for (userID, devices) in request {
            if identity.isLocal(userID) { local[userID] = devices } else { remoteRequest[userID] = devices }
        }
        let timeout = Self.remoteTimeout(body)
        async let remoteAnswer = queryRemote(remoteRequest, timeout: timeout)
        var result = try await queryLocal(local, requester: requester, includeDisplayNames: true)
        let appServiceFailures = await mergeAppServiceKeys(local, into: &result, timeout: timeout)
        let (remoteKeys, remoteFailures) = await remoteAnswer
        var failures = remoteFailures
        for (server, failure) in appServiceFailures { failures[server] = failure }
        for field in ["device_keys", "master_keys", "self_signing_keys"] {
            guard let entries = remoteKeys[field]?.objectValue, !entries.isEmpty else { continue }
            var merged = result[field]?.objectValue ?? [:]
            for (userID, value) in entries { merged[userID] = value }
            result[field] = .object(merged)
        }
        try await mergeSignatures(by: requester, onto: &result, of: Array(remoteRequest.keys))
        result["failures"] = .object(failures)
        return .object(result)
    }

    /// Signatures the requester made on other servers' users' master keys (with their
    /// user-signing key) live only here: they go onto those keys in the requester's answer.
    private func mergeSignatures(by requester: String, onto result: inout JSONObject, of users: [String]) async throws {
        guard var masters = result["master_keys"]?.objectValue, !users.isEmpty else { return }
        let present = users.filter { masters[$0] != nil }
        guard !present.isEmpty else { return }
        let mine = try await store.signatures(targetUserIDs: present).filter { $0.signerUserID == requester }
        for signature in mine {
            guard var master = masters[signature.targetUserID]?.objectValue,
                master["keys"]?.objectValue?.values.contains(where: { $0.stringValue == signature.targetKeyID }) == true
            else { continue }
            Self.merge([signature], into: &master)
            masters[signature.targetUserID] = .object(master)
        }
        result["master_keys"] = .object(masters)
    }

    /// A remote user's master key as their server (or the device-list cache) has it, if its
    /// public key is `keyID`; nil when the server does not answer or has another key.
    func remoteMasterKey(of userID: String, keyID: String) async -> JSONObject? {
        let (keys, _) = await queryRemote([userID: []], timeout: .seconds(10))
        guard let master = keys["master_keys"]?[userID]?.objectValue,
            (try? master.optionalString("user_id")) == userID,
            let entries = master["keys"]?.objectValue, entries.count == 1,
            entries.first?.value.stringValue == keyID
        else { return nil }
        return master
    }

    private func queryRemote(_ request: [String: [String]], timeout: Duration) async -> (JSONObject, JSONObject) {
        guard !request.isEmpty else { return ([:], [:]) }
        if let remote { return await remote.queryRemote(request, timeout: timeout) }
        return ([:], Self.unavailable(Array(request.keys)))
    }

    /// The local part of a key query: `device_keys`, `master_keys`, `self_signing_keys` and, for the
    /// requester's own user, `user_signing_keys`, with the signatures the requester may see merged in.
    public func queryLocal(
        _ request: [String: [String]], requester: String?, includeDisplayNames: Bool
    ) async throws -> JSONObject {
        let userIDs = Array(request.keys)
        let devices = try await store.queryDevices(request)
        let crossSigning = try await store.crossSigningKeys(userIDs: userIDs)
        let signatures = try await store.signatures(targetUserIDs: userIDs)
        var signaturesByTarget: [String: [KeySignature]] = [:]
        for signature in signatures {
            signaturesByTarget[signature.targetUserID + "|" + signature.targetKeyID, default: []].append(signature)
        }
        var deviceKeys: JSONObject = [:]
        var masterKeys: JSONObject = [:]
        var selfSigningKeys: JSONObject = [:]
        var userSigningKeys: JSONObject = [:]
        for userID in userIDs {
            let userDevices = devices[userID] ?? []
            if userDevices.isEmpty, try await store.account(userID: userID) == nil { continue }
            var entries: JSONObject = [:]
            for device in userDevices {
                guard let stored = device.keysJSON else { continue }
                var unsigned: JSONObject = [:]
                if includeDisplayNames, let name = device.displayName {
                    unsigned["device_display_name"] = .string(name)
                }
                let extra = signaturesByTarget[userID + "|" + device.deviceID] ?? []
                if extra.isEmpty, stored.utf8.count > 2, stored.utf8.last == UInt8(ascii: "}") {
                    // The common case: the stored text goes out as it is, with `unsigned` appended.
                    // Appending the whole UTF8View copies it in one go; a dropLast() slice of it
                    // was copied byte by byte (15% of the server's CPU in a 1,000-device query).
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(stored.utf8.count + 64)
                    bytes += stored.utf8
                    bytes.removeLast()
                    bytes += #","unsigned":"#.utf8
                    bytes += JSONWriter.bytes(.object(unsigned))
                    bytes.append(UInt8(ascii: "}"))
                    entries[device.deviceID] = .fragment(JSONFragment(trustedBytes: bytes))
                } else if var keys = device.keys {
                    Self.merge(extra, into: &keys)
                    keys["unsigned"] = .object(unsigned)
                    entries[device.deviceID] = .object(keys)
                }
            }
            deviceKeys[userID] = .object(entries)
            let keys = crossSigning[userID] ?? [:]
            if let master = keys[.master] {
                var object = master.object
                let visible = (signaturesByTarget[userID + "|" + master.publicKey] ?? []).filter { signature in
                    signature.signerUserID == userID || signature.signerUserID == requester
                }
                Self.merge(visible, into: &object)
                masterKeys[userID] = .object(object)
            }
            if let selfSigning = keys[.selfSigning] { selfSigningKeys[userID] = .object(selfSigning.object) }
            if userID == requester, let userSigning = keys[.userSigning] {
                userSigningKeys[userID] = .object(userSigning.object)
            }
        }
        var result: JSONObject = [
            "device_keys": .object(deviceKeys),
            "master_keys": .object(masterKeys),
            "self_signing_keys": .object(selfSigningKeys),
        ]
        if requester != nil { result["user_signing_keys"] = .object(userSigningKeys) }
        return result
    }

    /// Adds stored signatures to an object's `signatures` map.
    static func merge(_ signatures: [KeySignature], into object: inout JSONObject) {
        guard !signatures.isEmpty else { return }
        var map = object["signatures"]?.objectValue ?? [:]
        for signature in signatures {
            var bySigner = map[signature.signerUserID]?.objectValue ?? [:]
            bySigner[signature.signerKeyID] = .string(signature.signature)
            map[signature.signerUserID] = .object(bySigner)
        }
        object["signatures"] = .object(map)
    }
}
