import KeyportStore
public import MatrixModel

/// Keys of application services' users, asked of the services (MSC3983 for one-time keys, MSC3984
/// for device and cross-signing keys), for the users in a service's exclusive namespace.
extension KeyService {
    /// A claim where some targets belong to application services. Their stored one-time keys go
    /// first; what is still missing is asked of each service at once (one call per service, every
    /// device in it); what the services did not supply, or could not within `timeout`, gets the
    /// stored fallback key. A fallback key is only marked used when it was handed out.
    func claimWithAppServices(_ targets: [ClaimTarget], _ delegation: AppServiceKeyDelegation, timeout: Duration)
        async throws -> [ClaimedKey]
    {
        let now = clock.now()
        let delegated = targets.filter { delegation.claimOwner(of: $0.userID) != nil }
        let plain = targets.filter { delegation.claimOwner(of: $0.userID) == nil }
        var claims = plain.isEmpty ? [] : try await store.claimKeys(plain, now: now)
        let stored = try await store.claimKeys(delegated, now: now, from: .oneTimeKeysOnly)
        claims += stored
        var missing = Self.unmet(delegated, by: stored)
        let byService = Dictionary(grouping: missing) { delegation.claimOwner(of: $0.userID)?.id ?? "" }
        let services = delegation.registry.services
        let supplied = await withTaskGroup(of: [ClaimedKey].self) { group in
            for (id, wanted) in byService {
                guard let service = services.first(where: { $0.id == id }) else { continue }
                group.addTask {
                    // A service that fails or is slow is as one with no keys: the fallback follows.
                    (try? await delegation.client.claimKeys(wanted, from: service, timeout: timeout)) ?? []
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        claims += supplied
        missing = Self.unmet(missing, by: supplied)
        if !missing.isEmpty {
            claims += try await store.claimKeys(missing, now: now, from: .fallbackOnly)
        }
        return claims
    }

    /// The targets `claimed` leaves without a key.
    static func unmet(_ targets: [ClaimTarget], by claimed: [ClaimedKey]) -> [ClaimTarget] {
        let met = Set(
            claimed.map { ClaimTarget(userID: $0.userID, deviceID: $0.deviceID, algorithm: $0.key.algorithm) })
        return targets.filter { !met.contains($0) }
    }

    /// Merges what the application services say of their users' keys into a `/keys/query` answer
    /// for local users: a service's device keys replace the stored ones of the same device, its
    /// master and self-signing keys replace stored ones. A service that cannot be asked is named
    /// in the returned `failures` (under this server's name, with the service's ID), and the
    /// stored keys stand.
    public func mergeAppServiceKeys(
        _ request: [String: [String]], into result: inout JSONObject, timeout: Duration
    ) async -> JSONObject {
        guard let delegation = appServices else { return [:] }
        var byService: [String: [String: [String]]] = [:]
        for (userID, devices) in request {
            guard let service = delegation.queryOwner(of: userID) else { continue }
            byService[service.id, default: [:]][userID] = devices
        }
        guard !byService.isEmpty else { return [:] }
        let services = delegation.registry.services
        let answers = await withTaskGroup(of: (String, JSONObject?).self) { group in
            for (id, wanted) in byService {
                guard let service = services.first(where: { $0.id == id }) else { continue }
                group.addTask { (id, try? await delegation.client.queryKeys(wanted, from: service, timeout: timeout)) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var failures: JSONObject = [:]
        for (id, answer) in answers.sorted(by: { $0.0 < $1.0 }) {
            guard let answer else {
                failures[identity.serverName.rawValue] = .object([
                    "status": 503, "message": .string("Application service \(id) did not answer"),
                ])
                continue
            }
            for field in ["device_keys", "master_keys", "self_signing_keys"] {
                guard let entries = answer[field]?.objectValue, !entries.isEmpty else { continue }
                var merged = result[field]?.objectValue ?? [:]
                for (userID, value) in entries {
                    if field == "device_keys" {
                        var devices = merged[userID]?.objectValue ?? [:]
                        for (deviceID, keys) in value.objectValue ?? [:] { devices[deviceID] = keys }
                        merged[userID] = .object(devices)
                    } else {
                        merged[userID] = value
                    }
                }
                result[field] = .object(merged)
            }
        }
        return failures
    }
}
