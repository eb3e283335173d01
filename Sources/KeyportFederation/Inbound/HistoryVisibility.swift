import MatrixModel

/// Which events another server may read in full, from `m.room.history_visibility` and the
/// memberships of that server's users at the event
/// (https://spec.matrix.org/v1.16/client-server-api/#history-visibility). An event a server may not
/// read is served redacted, as Synapse does (`filter_events_for_server` in `synapse/visibility.py`).
enum HistoryVisibility: Equatable {
    case worldReadable
    case shared
    case invited
    case joined
    /// A value the spec does not define: readable, as Synapse treats it.
    case other(String)

    /// The setting an `m.room.history_visibility` content makes; `shared` when there is none.
    init(content: JSONObject?) {
        switch content?["history_visibility"]?.stringValue {
        case nil, "shared": self = .shared
        case "world_readable": self = .worldReadable
        case "invited": self = .invited
        case "joined": self = .joined
        case let value?: self = .other(value)
        }
    }

    /// Whether a server whose users have `memberships` in the state at an event may read it in
    /// full: always, unless the setting is `invited` (then a joined or invited user is needed) or
    /// `joined` (a joined user).
    func allowsServer(withMemberships memberships: some Sequence<String>) -> Bool {
        switch self {
        case .worldReadable, .shared, .other: true
        case .invited: memberships.contains { $0 == "join" || $0 == "invite" }
        case .joined: memberships.contains("join")
        }
    }
}
