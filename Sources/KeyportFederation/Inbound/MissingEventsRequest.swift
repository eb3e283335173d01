public import MatrixModel

/// The body of `POST /get_missing_events/{roomId}`
/// (https://spec.matrix.org/v1.16/server-server-api/#post_matrixfederationv1get_missing_eventsroomid).
public struct MissingEventsRequest: Sendable, Equatable {
    /// Events the asking server has: the walk does not enter them.
    public var earliestEvents: [String]
    /// Events whose prev events the asking server is missing: the walk starts from them.
    public var latestEvents: [String]
    /// At most this many events; 10 when not given, never more than ``maxLimit``.
    public var limit: Int
    /// Events below this depth are neither returned nor walked past; 0 when not given.
    public var minDepth: Int64

    /// The most events one answer holds, as in Synapse.
    public static let maxLimit = 20
    public static let defaultLimit = 10

    public init(earliestEvents: [String], latestEvents: [String], limit: Int = defaultLimit, minDepth: Int64 = 0) {
        self.earliestEvents = earliestEvents
        self.latestEvents = latestEvents
        self.limit = min(limit, Self.maxLimit)
        self.minDepth = minDepth
    }

    /// Reads the body: `earliest_events` and `latest_events` are required (400 `M_MISSING_PARAM`
    /// when absent, `M_BAD_JSON` when not lists of strings); `limit` and `min_depth` are integers
    /// (`M_BAD_JSON` otherwise), `limit` not negative (`M_INVALID_PARAM`).
    public init(body: JSONObject) throws(MatrixError) {
        for field in ["earliest_events", "latest_events"] where body[field] == nil {
            throw .missingParam("Missing field '\(field)'")
        }
        let limit = try body.optionalInt("limit") ?? Int64(Self.defaultLimit)
        guard limit >= 0 else { throw .invalidParam("'limit' must not be negative") }
        self.init(
            earliestEvents: try body.requiredStringArray("earliest_events"),
            latestEvents: try body.requiredStringArray("latest_events"),
            limit: Int(min(limit, Int64(Self.maxLimit))), minDepth: try body.optionalInt("min_depth") ?? 0)
    }
}
