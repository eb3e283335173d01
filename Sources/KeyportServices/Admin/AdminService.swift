public import KeyportStore
public import Logging
public import MatrixModel

/// Synapse's admin API (`/_synapse/admin`), the parts operators' scripts use for users and devices,
/// with Synapse's request and answer shapes. Only server admins (accounts registered with
/// `register_new_matrix_user -a`) may call it.
public struct AdminService: Sendable {
    let store: any AccountStore & DeviceStore
    let identity: ServerIdentity
    let notifications: ChangeNotifications
    /// Deactivation leaves the user's rooms through it, as `POST /rooms/{roomId}/leave` does.
    let rooms: RoomService
    let logger: Logger

    public init(
        store: any AccountStore & DeviceStore, identity: ServerIdentity, notifications: ChangeNotifications,
        rooms: RoomService, logger: Logger = Logger(label: "keyport.admin")
    ) {
        self.store = store
        self.identity = identity
        self.notifications = notifications
        self.rooms = rooms
        self.logger = logger
    }

    /// 403 `M_FORBIDDEN` unless the session's user is a server admin.
    public func requireAdmin(_ session: SessionRecord) async throws {
        guard try await store.account(userID: session.userID)?.isAdmin == true else {
            throw MatrixError.forbidden("You are not a server admin")
        }
    }

    /// `GET /_synapse/admin/v2/users?from=&limit=`: accounts in user-ID order, with `next_token`
    /// while more remain and `total`.
    public func users(from: String?, limit: String?) async throws -> JSONValue {
        let offset = try Self.nonNegative(from, name: "from", default: 0)
        let count = try Self.nonNegative(limit, name: "limit", default: 100)
        let accounts = try await store.accounts(offset: offset, limit: count)
        let total = try await store.accountCount()
        var answer: JSONObject = [
            "users": .array(accounts.map { .object(Self.summary($0)) }), "total": .int(Int64(total)),
        ]
        if offset + accounts.count < total, !accounts.isEmpty {
            answer["next_token"] = .string(String(offset + accounts.count))
        }
        return .object(answer)
    }

    /// `GET /_synapse/admin/v2/users/{userId}`; 404 `M_NOT_FOUND` for no such local user.
    public func user(_ userID: String) async throws -> JSONValue {
        let account = try await localAccount(userID)
        var details = Self.summary(account)
        details["threepids"] = []
        details["external_ids"] = []
        details["appservice_id"] = nil
        return .object(details)
    }

    /// `GET /_synapse/admin/v2/users/{userId}/devices`. When the user has a dehydrated device
    /// (MSC3814) it is listed too and every device carries `dehydrated`, as Synapse answers.
    public func devices(_ userID: String) async throws -> JSONValue {
        _ = try await localAccount(userID)
        let devices = try await store.devices(userID: userID)
        let marksDehydrated = devices.contains(where: \.isDehydrated)
        let list = devices.map { device -> JSONValue in
            var object: JSONObject = [
                "device_id": .string(device.deviceID),
                "display_name": device.displayName.map(JSONValue.string) ?? .null,
                "last_seen_ip": device.lastSeenIP.map(JSONValue.string) ?? .null,
                "last_seen_ts": device.lastSeenTS.map(JSONValue.int) ?? .null, "last_seen_user_agent": .null,
                "user_id": .string(userID),
            ]
            if marksDehydrated { object["dehydrated"] = .bool(device.isDehydrated) }
            return .object(object)
        }
        return .object(["devices": .array(list), "total": .int(Int64(list.count))])
    }

    /// `DELETE /_synapse/admin/v2/users/{userId}/devices/{deviceId}` and
    /// `POST …/delete_devices`: no user-interactive auth (the admin's token is the authority);
    /// unknown devices are skipped, as Synapse does.
    public func deleteDevices(_ userID: String, deviceIDs: [String]) async throws -> JSONValue {
        _ = try await localAccount(userID)
        if !(try await store.deleteDevices(userID: userID, deviceIDs: deviceIDs)).isEmpty {
            try await notifications.deviceListChanged(of: userID)
        }
        return .object([:])
    }

    func localAccount(_ userID: String) async throws -> AccountRecord {
        guard let parsed = UserID(userID), identity.isLocal(parsed) else {
            throw MatrixError.invalidParam("Can only look up local users")
        }
        guard let account = try await store.account(userID: userID) else {
            throw MatrixError.notFound("User not found")
        }
        return account
    }

    /// The fields Synapse lists for a user.
    static func summary(_ account: AccountRecord) -> JSONObject {
        [
            "name": .string(account.userID), "is_guest": 0, "admin": account.isAdmin ? 1 : 0, "user_type": .null,
            "deactivated": account.deactivated ? 1 : 0, "erased": false, "shadow_banned": 0, "displayname": .null,
            "avatar_url": .null, "creation_ts": .int(account.createdAt), "approved": true, "locked": false,
        ]
    }

    public static func nonNegative(_ text: String?, name: String, default value: Int) throws(MatrixError) -> Int {
        guard let text else { return value }
        guard let number = Int(text), number >= 0 else {
            throw MatrixError.invalidParam("Query parameter \(name) must be a non-negative integer")
        }
        return number
    }
}
