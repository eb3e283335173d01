import MatrixModel

// Each answer read from the JSON object another server sent, failing on a wrong shape with
// ``FederationError/invalidResponse(_:)`` naming the field.

extension MembershipTemplate {
    /// A `make_join` / `make_leave` answer for `userID` in `roomID`. The spec says an answer whose
    /// template is not for the room, user and membership asked about "MUST be treated as
    /// malformed", so those fields are checked here; the rest of the template is the caller's.
    init(_ reader: FederationAnswerReader, roomID: String, userID: String, membership: String)
        throws(FederationError)
    {
        let event = try reader.object("event")
        let expected: [(field: String, value: JSONValue?, wanted: String)] = [
            ("event.room_id", event["room_id"], roomID),
            ("event.sender", event["sender"], userID),
            ("event.state_key", event["state_key"], userID),
            ("event.type", event["type"], "m.room.member"),
            ("event.content.membership", event["content"]?.objectValue?["membership"], membership),
        ]
        for (field, value, wanted) in expected where value?.stringValue != wanted {
            throw reader.invalid(field, "is not \(wanted)")
        }
        self.init(roomVersion: try reader.optionalString("room_version"), event: event)
    }
}

extension SendJoinAnswer {
    init(_ reader: FederationAnswerReader) throws(FederationError) {
        let membersOmitted = try reader.optionalBool("members_omitted") ?? false
        var servers: [String]?
        if reader.has("servers_in_room") {
            servers = try reader.serverNames("servers_in_room")
        } else if membersOmitted {
            throw reader.invalid("servers_in_room", "is missing although members_omitted is true")
        }
        self.init(
            state: try reader.pdus("state"), authChain: try reader.pdus("auth_chain"),
            event: try reader.optionalObject("event"), membersOmitted: membersOmitted, serversInRoom: servers,
            origin: try reader.optionalString("origin"))
    }
}

extension RoomStateAnswer {
    init(_ reader: FederationAnswerReader) throws(FederationError) {
        self.init(pdus: try reader.pdus("pdus"), authChain: try reader.pdus("auth_chain"))
    }
}

extension RoomStateIDsAnswer {
    init(_ reader: FederationAnswerReader) throws(FederationError) {
        self.init(
            pduIDs: try reader.identifiers("pdu_ids", sigil: "$"),
            authChainIDs: try reader.identifiers("auth_chain_ids", sigil: "$"))
    }
}

extension RoomAliasAnswer {
    init(_ reader: FederationAnswerReader) throws(FederationError) {
        self.init(roomID: try reader.identifier("room_id", sigil: "!"), servers: try reader.serverNames("servers"))
    }
}
