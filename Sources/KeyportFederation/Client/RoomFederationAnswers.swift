public import MatrixModel

// The answers of the room endpoints ``RoomFederationClient`` calls, as plain values. Every PDU is
// the JSON object exactly as the other server sent it: its hashes and signatures cover those
// bytes, so the caller parses and checks it (MatrixRooms `PDU`), never a re-encoded copy.

/// A `make_join` or `make_leave` answer: the unsigned event template to fill in, sign and send.
public struct MembershipTemplate: Sendable, Equatable {
    /// `room_version`. The spec reads an answer without it as version 1 or 2.
    public var roomVersion: String?
    /// `event`, as received: `room_id`, `sender` and `state_key`, `type`, `content.membership`
    /// are checked against the request; everything else is for the caller.
    public var event: JSONObject

    public init(roomVersion: String?, event: JSONObject) {
        self.roomVersion = roomVersion
        self.event = event
    }
}

/// A `PUT /v2/send_join` answer: the room as the resident server saw it before the join.
public struct SendJoinAnswer: Sendable, Equatable {
    /// `state`: the resolved current state before the join event.
    public var state: [JSONObject]
    /// `auth_chain`: the auth chain of the join event and of every event in ``state``.
    public var authChain: [JSONObject]
    /// `event`: the join as the resident server signed it too (required for restricted joins).
    public var event: JSONObject?
    /// `members_omitted`: true when `m.room.member` events were left out of ``state``.
    public var membersOmitted: Bool
    /// `servers_in_room`: the servers with joined members before the join (required by the spec
    /// when ``membersOmitted``); names that are not valid server names are left out.
    public var serversInRoom: [String]?
    /// `origin`: the resident server, as Synapse still sends it (not in the v2 schema).
    public var origin: String?

    public init(
        state: [JSONObject], authChain: [JSONObject], event: JSONObject? = nil, membersOmitted: Bool = false,
        serversInRoom: [String]? = nil, origin: String? = nil
    ) {
        self.state = state
        self.authChain = authChain
        self.event = event
        self.membersOmitted = membersOmitted
        self.serversInRoom = serversInRoom
        self.origin = origin
    }
}

/// A `GET /state/{roomId}` answer: the state before an event, with its auth chain.
public struct RoomStateAnswer: Sendable, Equatable {
    /// `pdus`: the resolved state before the event.
    public var pdus: [JSONObject]
    /// `auth_chain`: the auth events of those, recursively.
    public var authChain: [JSONObject]

    public init(pdus: [JSONObject], authChain: [JSONObject]) {
        self.pdus = pdus
        self.authChain = authChain
    }
}

/// A `GET /state_ids/{roomId}` answer: the same as ``RoomStateAnswer``, by event ID.
public struct RoomStateIDsAnswer: Sendable, Equatable {
    /// `pdu_ids`: the IDs of the resolved state before the event.
    public var pduIDs: [String]
    /// `auth_chain_ids`: the IDs of their auth chain.
    public var authChainIDs: [String]

    public init(pduIDs: [String], authChainIDs: [String]) {
        self.pduIDs = pduIDs
        self.authChainIDs = authChainIDs
    }
}

/// A `GET /query/directory` answer: the room an alias names and servers likely to be in it.
public struct RoomAliasAnswer: Sendable, Equatable {
    /// `room_id`.
    public var roomID: String
    /// `servers`, in the order given; names that are not valid server names are left out.
    public var servers: [String]

    public init(roomID: String, servers: [String]) {
        self.roomID = roomID
        self.servers = servers
    }
}
