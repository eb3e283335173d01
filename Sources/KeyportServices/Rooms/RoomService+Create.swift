public import KeyportStore
public import MatrixModel

extension RoomService {
    /// The versions `createRoom` accepts, as `/capabilities` reports them.
    public static let supportedRoomVersions: Set<String> = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    /// The version of a room created without `room_version`.
    public static let defaultRoomVersion = "10"

    /// `POST /createRoom`: every initial event is written in one store call.
    public func createRoom(session: SessionRecord, body: JSONObject) async throws -> JSONValue {
        let creator = session.userID
        let visibility = try body.optionalString("visibility") ?? "private"
        let preset = try body.optionalString("preset") ?? (visibility == "public" ? "public_chat" : "private_chat")
        guard ["public_chat", "private_chat", "trusted_private_chat"].contains(preset) else {
            throw MatrixError.badJSON("Unknown preset \(preset)")
        }
        let roomVersion = try body.optionalString("room_version") ?? Self.defaultRoomVersion
        guard Self.supportedRoomVersions.contains(roomVersion) else {
            throw MatrixError(
                status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION", "Room version \(roomVersion) is not supported")
        }
        let invites = try body["invite"] == nil ? [] : body.requiredStringArray("invite")
        for invitee in invites where UserID(invitee) == nil {
            throw MatrixError.invalidParam("Invalid user ID '\(invitee)' in invite")
        }
        let isDirect = try body.optionalBool("is_direct") ?? false
        var initialState: [(type: String, stateKey: String, content: JSONObject)] = []
        if let entries = body["initial_state"] {
            guard let entries = entries.arrayValue else { throw MatrixError.badJSON("initial_state must be a list") }
            for entry in entries {
                guard let object = entry.objectValue else {
                    throw MatrixError.badJSON("initial_state entries must be objects")
                }
                initialState.append(
                    (
                        try object.requiredString("type"), try object.optionalString("state_key") ?? "",
                        try object.requiredObject("content")
                    ))
            }
        }
        var alias: String?
        if let name = try body.optionalString("room_alias_name") {
            guard !name.isEmpty, !name.contains(":"), !name.contains("#"), name.utf8.count <= 200 else {
                throw MatrixError.invalidParam("Invalid room_alias_name")
            }
            alias = "#\(name):\(identity.serverName.rawValue)"
        }

        let roomID = "!\(SecureTokens.random(length: 18)):\(identity.serverName.rawValue)"
        if let alias, try await store.roomID(forAlias: alias) != nil {
            throw MatrixError(status: 400, errcode: "M_ROOM_IN_USE", "Room alias \(alias) already taken")
        }
        try await store.createRoom(roomID: roomID, version: "10", creator: creator, now: clock.now())
        if let alias {
            do {
                try await store.createAlias(alias, roomID: roomID)
            } catch StoreError.conflict {
                throw MatrixError(status: 400, errcode: "M_ROOM_IN_USE", "Room alias \(alias) already taken")
            }
        }

        func state(_ type: String, key: String = "", _ content: JSONObject) -> RoomEvent {
            event(roomID: roomID, type: type, stateKey: key, sender: creator, content: content)
        }
        var creation = try body.optionalObject("creation_content") ?? [:]
        creation["creator"] = .string(creator)
        creation["room_version"] = .string(roomVersion)
        var events = [state("m.room.create", creation)]
        events.append(state("m.room.member", key: creator, try await joinContent(creator)))
        var power = PowerLevels.defaultContent(
            creator: creator, extraAdmins: preset == "trusted_private_chat" ? invites : [])
        for (key, value) in try body.optionalObject("power_level_content_override") ?? [:] { power[key] = value }
        events.append(state("m.room.power_levels", power))
        if let alias { events.append(state("m.room.canonical_alias", ["alias": .string(alias)])) }
        events.append(state("m.room.join_rules", ["join_rule": .string(preset == "public_chat" ? "public" : "invite")]))
        events.append(state("m.room.history_visibility", ["history_visibility": "shared"]))
        if preset != "public_chat" { events.append(state("m.room.guest_access", ["guest_access": "can_join"])) }
        for entry in initialState { events.append(state(entry.type, key: entry.stateKey, entry.content)) }
        if let name = try body.optionalString("name") { events.append(state("m.room.name", ["name": .string(name)])) }
        if let topic = try body.optionalString("topic") {
            events.append(state("m.room.topic", ["topic": .string(topic)]))
        }
        for invitee in invites {
            var content: JSONObject = ["membership": "invite"]
            if isDirect { content["is_direct"] = true }
            events.append(state("m.room.member", key: invitee, content))
        }
        try await append(events, roomID: roomID, extra: invites)
        var response: JSONObject = ["room_id": .string(roomID)]
        if let alias { response["room_alias"] = .string(alias) }
        return .object(response)
    }
}
