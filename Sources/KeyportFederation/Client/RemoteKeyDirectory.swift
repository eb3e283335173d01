public import KeyportServices
public import KeyportStore
public import MatrixModel

/// The client API's view of other servers' keys (`/keys/query`, `/keys/claim` for remote users):
/// grouped by server, at most `width` servers at once, each bounded by the request's timeout.
/// Tracked users with a current cached list are answered from the cache; tracked users without
/// one are fetched through `GET /user/devices` and cached; others are asked with
/// `/user/keys/query`. A server speaks only for its own users: anything else it returns is dropped.
public struct RemoteKeyDirectory: RemoteKeyQuerying {
    let store: any KeyportStorage
    let client: FederationClient
    let deviceLists: RemoteDeviceListService
    let width: Int

    public init(
        store: any KeyportStorage, client: FederationClient, deviceLists: RemoteDeviceListService, width: Int = 10
    ) {
        self.store = store
        self.client = client
        self.deviceLists = deviceLists
        self.width = width
    }

    public func queryRemote(_ request: [String: [String]], timeout: Duration) async -> (
        keys: JSONObject, failures: JSONObject
    ) {
        let byServer = Self.group(Array(request.keys))
        let answers = await forEachServer(byServer) {
            (server: String, users: [String]) async throws(FederationError) -> (JSONObject, Bool) in
            try await self.query(server: server, users: users.map { ($0, request[$0] ?? []) }, timeout: timeout)
        }
        var keys: JSONObject = [
            "device_keys": .object([:]), "master_keys": .object([:]), "self_signing_keys": .object([:]),
        ]
        var failures: JSONObject = [:]
        for (server, answer) in answers {
            switch answer {
            case .success(let (partial, stale)):
                for field in ["device_keys", "master_keys", "self_signing_keys"] {
                    var merged = keys[field]?.objectValue ?? [:]
                    for (userID, value) in partial[field]?.objectValue ?? [:] { merged[userID] = value }
                    keys[field] = .object(merged)
                }
                if stale {
                    failures[server] = .object([
                        "status": 503,
                        "message": "The cached device list may be out of date: the server is unreachable",
                    ])
                }
            case .failure(let error):
                failures[server] = .object(["status": .int(Int64(error.failureStatus)), "message": .string("\(error)")])
            }
        }
        return (keys, failures)
    }

    /// One server's users: the cached lists of tracked users, a query for the rest. `stale` is true
    /// when a cached list had to be served although it could not be brought up to date.
    private func query(server: String, users: [(String, [String])], timeout: Duration) async throws(FederationError)
        -> (JSONObject, Bool)
    {
        var deviceKeys: JSONObject = [:]
        var masterKeys: JSONObject = [:]
        var selfSigningKeys: JSONObject = [:]
        var toAsk: JSONObject = [:]
        var servedStale = false
        for (userID, deviceIDs) in users {
            guard (try? await deviceLists.isTracked(userID)) == true else {
                toAsk[userID] = .array(deviceIDs.map { .string($0) })
                continue
            }
            var cached = try? await store.remoteDeviceList(userID: userID)
            if cached == nil || cached?.stale == true {
                if await deviceLists.resync(userID, timeout: timeout) {
                    cached = try? await store.remoteDeviceList(userID: userID)
                } else if cached?.devices.isEmpty == false {
                    servedStale = true
                } else {
                    toAsk[userID] = .array(deviceIDs.map { .string($0) })
                    continue
                }
            }
            guard let list = cached else { continue }
            var entries: JSONObject = [:]
            for device in list.devices where deviceIDs.isEmpty || deviceIDs.contains(device.deviceID) {
                guard var keys = device.keys else { continue }
                var unsigned: JSONObject = [:]
                if let name = device.displayName { unsigned["device_display_name"] = .string(name) }
                keys["unsigned"] = .object(unsigned)
                entries[device.deviceID] = .object(keys)
            }
            deviceKeys[userID] = .object(entries)
            if let master = list.masterKey { masterKeys[userID] = .object(master) }
            if let selfSigning = list.selfSigningKey { selfSigningKeys[userID] = .object(selfSigning) }
        }
        if !toAsk.isEmpty {
            let answer = try await client.request(
                server, method: "POST", path: "/_matrix/federation/v1/user/keys/query",
                body: ["device_keys": .object(toAsk)], timeout: timeout,
                maxResponseBytes: FederationResponseLimit.keysQuery)
            for (userID, devices) in answer["device_keys"]?.objectValue ?? [:]
            where toAsk[userID] != nil && RemoteKeyValidation.belongs(userID, to: server) {
                var entries: JSONObject = [:]
                for (deviceID, keys) in devices.objectValue ?? [:] {
                    guard var valid = RemoteKeyValidation.deviceKeys(keys, userID: userID, deviceID: deviceID) else {
                        continue
                    }
                    valid["unsigned"] = keys.objectValue?["unsigned"]
                    entries[deviceID] = .object(valid)
                }
                deviceKeys[userID] = .object(entries)
            }
            for (userID, key) in answer["master_keys"]?.objectValue ?? [:] where toAsk[userID] != nil {
                guard let master = RemoteKeyValidation.masterKey(key, userID: userID) else { continue }
                masterKeys[userID] = .object(master)
                let selfSigning = answer["self_signing_keys"]?.objectValue?[userID]
                if let valid = RemoteKeyValidation.selfSigningKey(selfSigning, userID: userID, master: master) {
                    selfSigningKeys[userID] = .object(valid)
                }
            }
        }
        let keys: JSONObject = [
            "device_keys": .object(deviceKeys), "master_keys": .object(masterKeys),
            "self_signing_keys": .object(selfSigningKeys),
        ]
        return (keys, servedStale)
    }

    public func claimRemote(_ targets: [ClaimTarget], timeout: Duration) async -> (
        oneTimeKeys: JSONObject, failures: JSONObject
    ) {
        let byServer = Self.group(targets.map(\.userID))
        let answers = await forEachServer(byServer) {
            (server: String, _: [String]) async throws(FederationError) -> JSONObject in
            let asked = targets.filter { RemoteKeyValidation.belongs($0.userID, to: server) }
            var request: [String: JSONObject] = [:]
            for target in asked {
                request[target.userID, default: [:]][target.deviceID] = .string(target.algorithm)
            }
            let answer = try await client.request(
                server, method: "POST", path: "/_matrix/federation/v1/user/keys/claim",
                body: ["one_time_keys": .object(JSONObject(request.mapValues { .object($0) }))], timeout: timeout,
                maxResponseBytes: FederationResponseLimit.keysClaim)
            return RemoteKeyValidation.claimedKeys(answer, asked: asked, server: server)
        }
        var oneTimeKeys: JSONObject = [:]
        var failures: JSONObject = [:]
        for (server, answer) in answers {
            switch answer {
            case .success(let keys): for (userID, devices) in keys { oneTimeKeys[userID] = devices }
            case .failure(let error):
                failures[server] = .object(["status": .int(Int64(error.failureStatus)), "message": .string("\(error)")])
            }
        }
        return (oneTimeKeys, failures)
    }

    /// User IDs by server name.
    static func group(_ userIDs: [String]) -> [String: [String]] {
        var byServer: [String: [String]] = [:]
        for userID in Set(userIDs) {
            guard let server = UserID(userID)?.serverName.rawValue else { continue }
            byServer[server, default: []].append(userID)
        }
        return byServer
    }

    /// Runs `work` for every server, at most `width` at once.
    private func forEachServer<T: Sendable>(
        _ byServer: [String: [String]],
        _ work: @escaping @Sendable (String, [String]) async throws(FederationError) -> T
    ) async -> [(String, Result<T, FederationError>)] {
        await withTaskGroup(of: (String, Result<T, FederationError>).self) { group in
            var pending = byServer.sorted { $0.key < $1.key }[...]
            var results: [(String, Result<T, FederationError>)] = []
            func startNext() {
                guard let (server, users) = pending.popFirst() else { return }
                group.addTask {
                    do throws(FederationError) {
                        return (server, .success(try await work(server, users)))
                    } catch {
                        return (server, .failure(error))
                    }
                }
            }
            for _ in 0..<width { startNext() }
            while let result = await group.next() {
                results.append(result)
                startNext()
            }
            return results
        }
    }
}
