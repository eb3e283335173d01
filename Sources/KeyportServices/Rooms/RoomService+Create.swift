public import KeyportStore
public import MatrixModel
import MatrixRooms

extension RoomService {
    /// The versions `createRoom` accepts, as `/capabilities` reports them.
    public static var supportedRoomVersions: [String] { RoomVersion.supported.map(\.identifier) }
    /// The version of a room created without `room_version`.
    public static var defaultRoomVersion: String { RoomVersion.defaultForNewRooms.identifier }

    /// `POST /createRoom`: every initial event is built, checked and written in one store update.
    public func createRoom(session: SessionRecord, body: JSONObject) async throws -> JSONValue {
        let creator = session.userID
        let visibility = try body.optionalString("visibility") ?? "private"
        let preset = try body.optionalString("preset") ?? (visibility == "public" ? "public_chat" : "private_chat")
        guard ["public_chat", "private_chat", "trusted_private_chat"].contains(preset) else {
            throw MatrixError.badJSON("Unknown preset \(preset)")
        }
        let versionName = try body.optionalString("room_version") ?? Self.defaultRoomVersion
        guard let version = RoomVersion.named(versionName) else {
            throw MatrixError(
                status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION", "Room version \(versionName) is not supported")
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

        if let alias, try await store.roomID(forAlias: alias) != nil {
            throw MatrixError(status: 400, errcode: "M_ROOM_IN_USE", "Room alias \(alias) already taken")
        }

        func state(_ type: String, key: String = "", _ content: JSONObject) -> LocalDraft {
            LocalDraft(type: type, stateKey: key, sender: creator, content: content)
        }
        let trusted = preset == "trusted_private_chat"
        var creation = try body.optionalObject("creation_content") ?? [:]
        if !version.creatorIsCreateSender { creation["creator"] = .string(creator) }
        if version.creatorsHaveInfinitePower, trusted, !invites.isEmpty {
            // As Synapse does: in v12 the invitees of a trusted private chat are creators too.
            creation["additional_creators"] = .array(invites.map { .string($0) })
        }
        creation["room_version"] = .string(version.identifier)
        var drafts = [state("m.room.create", creation)]
        drafts.append(state("m.room.member", key: creator, try await joinContent(creator)))
        var power = PowerLevels.defaultContent(
            creator: creator, extraAdmins: trusted ? invites : [], listCreators: !version.creatorsHaveInfinitePower)
        for (key, value) in try body.optionalObject("power_level_content_override") ?? [:] { power[key] = value }
        drafts.append(state("m.room.power_levels", power))
        if let alias { drafts.append(state("m.room.canonical_alias", ["alias": .string(alias)])) }
        drafts.append(state("m.room.join_rules", ["join_rule": .string(preset == "public_chat" ? "public" : "invite")]))
        drafts.append(state("m.room.history_visibility", ["history_visibility": "shared"]))
        if preset != "public_chat" { drafts.append(state("m.room.guest_access", ["guest_access": "can_join"])) }
        for entry in initialState {
            if entry.type == "m.room.create" || entry.type == "m.room.member" {
                throw MatrixError.invalidParam("initial_state may not hold \(entry.type)")
            }
            drafts.append(state(entry.type, key: entry.stateKey, entry.content))
        }
        if let name = try body.optionalString("name") { drafts.append(state("m.room.name", ["name": .string(name)])) }
        if let topic = try body.optionalString("topic") {
            drafts.append(state("m.room.topic", ["topic": .string(topic)]))
        }
        // Another server's user is invited once the room exists: their server co-signs the invite.
        let remoteInvites = remote == nil ? [] : invites.filter { !identity.isLocal($0) }
        for invitee in invites where !remoteInvites.contains(invitee) {
            var content: JSONObject = ["membership": "invite"]
            if isDirect { content["is_direct"] = true }
            drafts.append(state("m.room.member", key: invitee, content))
        }
        for draft in drafts { try Self.checkContent(draft.content) }

        // Before v12 the room ID is chosen; from v12 the create event's hash makes it.
        let chosenID =
            version.roomIDIsCreateEventHash
            ? nil : "!\(SecureTokens.random(length: 18)):\(identity.serverName.rawValue)"
        var working = WorkingState()
        let pdus = try build(drafts, roomID: chosenID, version: version, state: &working, prevEvents: [], depth: 1)
        guard let roomID = pdus.first?.roomID else { throw MatrixError.unknown("The room has no create event") }
        try await store.createRoom(roomID: roomID, version: version.identifier, creator: creator, now: clock.now())
        if let alias {
            do {
                try await store.createAlias(alias, roomID: roomID)
            } catch StoreError.conflict {
                throw MatrixError(status: 400, errcode: "M_ROOM_IN_USE", "Room alias \(alias) already taken")
            }
        }
        let update = RoomUpdate(
            roomID: roomID, events: Self.writes(pdus, drafts: drafts, base: (.empty, [:])), expectedExtremities: [],
            extremities: pdus.last.map { [$0.eventID] } ?? [], currentState: Self.stateChanges(pdus))
        _ = try await store.applyRoomUpdate(update)
        await notifications.wake([creator] + invites)
        if !invites.isEmpty { await notifications.outboundQueued() }
        if let remote {
            for invitee in remoteInvites {
                var content: JSONObject = ["membership": "invite"]
                if isDirect { content["is_direct"] = true }
                try await inviteRemote(invitee, content: content, session: session, roomID: roomID, remote: remote)
            }
        }
        var response: JSONObject = ["room_id": .string(roomID)]
        if let alias { response["room_alias"] = .string(alias) }
        return .object(response)
    }
}
