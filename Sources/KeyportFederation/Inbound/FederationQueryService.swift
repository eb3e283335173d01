public import KeyportServices
public import KeyportStore
public import MatrixModel

/// What other servers may ask about our users: `GET /user/devices/{userId}`,
/// `POST /user/keys/query` and `POST /user/keys/claim`. Only local users are answered.
public struct FederationQueryService: Sendable {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let keys: KeyService

    public init(store: any KeyportStorage, identity: ServerIdentity, keys: KeyService) {
        self.store = store
        self.identity = identity
        self.keys = keys
    }

    /// `GET /user/devices/{userId}`: every device with keys, display names, the master and
    /// self-signing keys, and the list's `stream_id`.
    public func userDevices(userID: String) async throws -> JSONObject {
        guard UserID(userID) != nil else { throw MatrixError.invalidParam("Invalid user ID") }
        guard identity.isLocal(userID) else {
            throw MatrixError.invalidParam("User \(userID) is not a user of this server")
        }
        let streamID = try await store.latestDeviceListStreamID(userID: userID)
        // The display names come in `unsigned`, as the client API sends them; here they move out.
        let answer = try await keys.queryLocal([userID: []], requester: nil, includeDisplayNames: true)
        var devices: [JSONValue] = []
        for (deviceID, value) in answer["device_keys"]?.objectValue?[userID]?.objectValue?.sortedMembers() ?? [] {
            var keys = value.materializedObject ?? [:]
            let name = keys["unsigned"]?["device_display_name"]?.stringValue
            keys["unsigned"] = nil
            var device: JSONObject = ["device_id": .string(deviceID), "keys": .object(keys)]
            if let name { device["device_display_name"] = .string(name) }
            devices.append(.object(device))
        }
        var result: JSONObject = [
            "user_id": .string(userID), "stream_id": .int(streamID), "devices": .array(devices),
        ]
        if let master = answer["master_keys"]?.objectValue?[userID] { result["master_key"] = master }
        if let selfSigning = answer["self_signing_keys"]?.objectValue?[userID] {
            result["self_signing_key"] = selfSigning
        }
        return result
    }

    /// How long an application service is given for a federation query or claim. The request
    /// names no timeout and the asking server gives up after 10 s (Synapse's default), then backs
    /// off this server; half of that leaves the answer without the service's keys (stored fallback
    /// keys) time to arrive.
    static let appServiceTimeout: Duration = .seconds(5)

    /// `POST /user/keys/query`: local users only; no user-signing keys, no `failures`.
    public func queryKeys(body: JSONObject) async throws -> JSONObject {
        let request = try KeyService.queryRequest(body).filter { identity.isLocal($0.key) }
        var answer = try await keys.queryLocal(request, requester: nil, includeDisplayNames: true)
        _ = await keys.mergeAppServiceKeys(request, into: &answer, timeout: Self.appServiceTimeout)
        answer["user_signing_keys"] = nil
        return answer
    }

    /// `POST /user/keys/claim`: the client API's atomic claim, for local users only.
    public func claimKeys(body: JSONObject) async throws -> JSONObject {
        let targets = try KeyService.claimTargets(body).filter { identity.isLocal($0.userID) }
        return ["one_time_keys": try await keys.claimLocal(targets, timeout: Self.appServiceTimeout)]
    }
}

extension JSONValue {
    /// The object this value holds, parsing a stored fragment if needed.
    var materializedObject: JSONObject? {
        if case .fragment(let fragment) = self {
            return (try? JSONParser().parse(fragment.bytes))?.objectValue
        }
        return objectValue
    }
}
