/// How an event sits in the auth graph, as state resolution walks it.
extension PDU {
    /// The events this event's auth rests on: its `auth_events`, and in room versions whose create
    /// event is never listed (v12, MSC4291), also the create event its room ID names.
    ///
    /// State resolution needs the create event as an edge of the auth graph: Synapse adds it to
    /// every non-create event's auth events, so auth chains, the conflicted subgraph and the power
    /// ordering all see it; leaving it out would make Keyport's graph differ from Synapse's.
    public var authEventIDsIncludingCreate: [String] {
        guard !roomVersion.createEventInAuthEvents, !isCreateEvent, roomID.hasPrefix("!") else {
            return authEvents
        }
        let createEventID = "$" + roomID.dropFirst()
        return authEvents.contains(createEventID) ? authEvents : authEvents + [createEventID]
    }

    /// Whether this is the room's `m.room.create` event.
    var isCreateEvent: Bool { type == EventType.create && stateKey == "" }

    /// Whether this is the room's `m.room.power_levels` event.
    var isPowerLevelsEvent: Bool { type == EventType.powerLevels && stateKey == "" }

    /// A *power event* of state resolution: one that may take an ability away from someone, so it
    /// is ordered by its sender's power before everything else.
    ///
    /// The spec names power levels, join rules, and kicks and bans (a `leave` or `ban` whose sender
    /// is not its target). Synapse and ruma also count the create event and require the empty state
    /// key for power levels and join rules; Keyport follows them so that resolutions agree.
    var isPowerEvent: Bool {
        switch type {
        case EventType.powerLevels, EventType.joinRules, EventType.create:
            return stateKey == ""
        case EventType.member:
            guard let stateKey, let membership, membership == "leave" || membership == "ban" else { return false }
            return sender != stateKey
        default:
            return false
        }
    }
}
