/// The largest answer accepted from another server, per kind of request, and across all of them.
///
/// Synapse reads any federation answer up to 100 MiB (`MAX_RESPONSE_SIZE`) and `.well-known` up
/// to 50 KiB (`send_join` and `/state` up to 500 MiB, parsed as a stream); each kind gets a limit
/// a few times the largest honest answer instead, and every answer being read counts against one
/// budget (``bytesInFlight``), so a flood of large answers cannot take the memory of the process. A
/// PDU is at most 65,536 bytes, which sizes the room answers that carry a known number of them; a
/// room's whole state can be 100,000 events and more, so those answers are bounded by bytes alone,
/// at 50 MiB because Keyport parses an answer whole, not as a stream.
public enum FederationResponseLimit {
    /// `GET /_matrix/key/v2/server`: a few keys and their signatures.
    public static let serverKeys = 1 << 20
    /// `GET /user/devices/{userId}`: at most ``RemoteDeviceListService/maxDevices`` devices.
    public static let userDevices = 8 << 20
    /// `POST /user/keys/query`: every device of the users asked about.
    public static let keysQuery = 16 << 20
    /// `POST /user/keys/claim`: one key per device asked for.
    public static let keysClaim = 4 << 20
    /// `PUT /send/{txnId}`: one result per PDU.
    public static let transaction = 1 << 20
    /// `/.well-known/matrix/server`, as Synapse.
    public static let wellKnown = 50 * 1024
    /// A `/query/profile` answer: two short strings.
    public static let profile = 64 * 1024
    /// `GET /make_join`, `GET /make_leave`: one event template.
    public static let membershipTemplate = 256 << 10
    /// `PUT /v2/send_join`: the room's whole state and its auth chain.
    public static let sendJoin = 50 << 20
    /// `PUT /v2/invite`: the invite event, signed, which may carry the room's stripped state.
    public static let invite = 1 << 20
    /// `PUT /v2/send_leave`: `{}`.
    public static let sendLeave = 64 << 10
    /// `GET /state/{roomId}`: the room's whole state and its auth chain.
    public static let roomState = 50 << 20
    /// `GET /state_ids/{roomId}`: the IDs of the room's whole state and its auth chain.
    public static let roomStateIDs = 16 << 20
    /// `GET /event_auth/{roomId}/{eventId}`: an event's auth chain, which in a room with a long
    /// history of power-level and membership changes is thousands of events.
    public static let eventAuth = 50 << 20
    /// `GET /event/{eventId}`: one PDU in a transaction.
    public static let event = 1 << 20
    /// `POST /get_missing_events`, `GET /backfill`: at most
    /// ``RoomFederationClient/maxEventsPerRequest`` PDUs.
    public static let eventBatch = 8 << 20
    /// `GET /query/directory`: a room ID and the servers in the room, which can be thousands.
    public static let roomAlias = 1 << 20
    /// All answers being read at once.
    public static let bytesInFlight = 64 << 20
}
