/// The *mainline ordering*: the events left after the power events are ordered by how far back along
/// the resolved power levels' history (its mainline) their own power levels lie, so events judged
/// under older power levels are applied first.
public enum MainlineOrdering {
    /// Sorts `events` by mainline position relative to `mainline` (the resolved power levels event
    /// first, then the power levels event each one cites, back to the first), then by
    /// `origin_server_ts`, then by event ID.
    ///
    /// `powerLevelsParent` gives the `m.room.power_levels` event among an event's auth events. The
    /// position of each event met on the way back is remembered, so events sharing power levels
    /// history cost one walk, not one each.
    ///
    /// The rank used is the depth counted from the oldest mainline event (1) up to the resolved one,
    /// and 0 for no mainline ancestor: ascending depth is the spec's descending position, with its
    /// "∞" first. Like Synapse and ruma, an event that is itself on the mainline takes its own
    /// place; no event ordered here is (they are not power events, mainline events are).
    public static func sort(
        _ events: [PDU], mainline: [String], powerLevelsParent: (String) -> String?
    ) -> [String] {
        var depth: [String: Int64] = [:]
        for (index, id) in mainline.enumerated() { depth[id] = Int64(mainline.count - index) }
        var keys: [OrderingKey] = []
        keys.reserveCapacity(events.count)
        for event in events {
            // Walk back until an event whose depth is known, then give that depth to the whole walk.
            var path: [String] = []
            var current: String? = event.eventID
            var found: Int64 = 0
            var seen = Set<String>()
            while let id = current {
                if let known = depth[id] {
                    found = known
                    break
                }
                guard seen.insert(id).inserted else { break }
                path.append(id)
                current = powerLevelsParent(id)
            }
            for id in path { depth[id] = found }
            keys.append(OrderingKey(rank: found, originServerTS: event.originServerTS, eventID: event.eventID))
        }
        return keys.sorted().map(\.eventID)
    }

    /// The mainline of `powerLevels`: it, the power levels event it cites, and so on back.
    public static func mainline(from powerLevels: String?, powerLevelsParent: (String) -> String?) -> [String] {
        var mainline: [String] = []
        var seen = Set<String>()
        var current = powerLevels
        while let id = current, seen.insert(id).inserted {
            mainline.append(id)
            current = powerLevelsParent(id)
        }
        return mainline
    }
}
