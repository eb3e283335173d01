/// The largest answer accepted from another server, per kind of request, and across all of them.
///
/// Synapse reads any federation answer up to 100 MiB (`MAX_RESPONSE_SIZE`) and `.well-known` up
/// to 50 KiB; Keyport's requests are few and their answers small, so each kind gets a limit a few
/// times the largest honest answer instead, and every answer being read counts against one budget
/// (``bytesInFlight``), so a flood of large answers cannot take the memory of the process.
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
    /// All answers being read at once.
    public static let bytesInFlight = 64 << 20
}
