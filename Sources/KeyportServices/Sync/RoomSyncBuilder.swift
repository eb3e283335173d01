import KeyportStore
import MatrixModel

/// The `rooms` section of a sync: joined rooms with new events (or all, initially), invites, and
/// rooms left since the last sync.
struct RoomSyncBuilder {
    let store: any RoomStore
    let session: SessionRecord
    let now: Int64

    struct Result {
        var json: JSONValue
        var hasContent: Bool
    }

    /// `accountData`: the room account data events to send, by room (joined rooms only get them).
    func build(
        since: Int64?, head: Int64, fullState: Bool, timelineLimit: Int, includeLeave: Bool,
        accountData: [String: [JSONValue]] = [:]
    ) async throws -> Result {
        var join: JSONObject = [:]
        var invite: JSONObject = [:]
        var leave: JSONObject = [:]
        let from = since ?? 0
        for record in try await store.memberships(userID: session.userID) where record.ordering <= head {
            let isNew = since == nil || record.ordering > from
            switch record.membership {
            case "join":
                let newlyJoined = since != nil && record.ordering > from
                let events = try await store.roomEvents(
                    roomID: record.roomID, after: newlyJoined || since == nil ? 0 : from, upTo: head,
                    limit: timelineLimit + 1)
                let limited = events.count > timelineLimit
                let timeline = Array(events.suffix(timelineLimit))
                let roomAccountData = accountData[record.roomID] ?? []
                if !fullState && !newlyJoined && timeline.isEmpty && roomAccountData.isEmpty { continue }
                var state: [RoomEvent] = []
                let inTimeline = Set(timeline.map(\.eventID))
                if fullState || newlyJoined {
                    state = try await store.currentState(roomID: record.roomID).filter {
                        !inTimeline.contains($0.eventID) && $0.ordering <= head
                    }
                } else if limited, let start = timeline.first?.ordering {
                    // State that changed in the gap the limited timeline skipped.
                    state = try await store.currentState(roomID: record.roomID).filter {
                        $0.ordering > from && $0.ordering < start && !inTimeline.contains($0.eventID)
                    }
                }
                join[record.roomID] = roomJSON(
                    timeline: timeline, limited: limited, state: state, accountData: roomAccountData)
            case "invite" where isNew:
                let state = try await store.currentState(roomID: record.roomID).filter { event in
                    [
                        "m.room.create", "m.room.join_rules", "m.room.name", "m.room.canonical_alias",
                        "m.room.encryption",
                        "m.room.avatar",
                    ].contains(event.type)
                        || (event.type == "m.room.member" && event.stateKey == session.userID)
                        || (event.type == "m.room.member" && event.stateKey == event.sender)
                }
                invite[record.roomID] = ["invite_state": ["events": .array(state.map(ClientEventFormat.stripped))]]
            case "leave", "ban":
                guard since != nil ? record.ordering > from : includeLeave else { continue }
                let events = try await visibleBeforeLeaving(
                    roomID: record.roomID, from: from, leave: record.ordering, limit: timelineLimit + 1)
                leave[record.roomID] = roomJSON(
                    timeline: Array(events.suffix(timelineLimit)), limited: events.count > timelineLimit, state: [])
            default:
                continue
            }
        }
        let hasContent = !join.isEmpty || !invite.isEmpty || !leave.isEmpty
        return Result(
            json: ["join": .object(join), "invite": .object(invite), "leave": .object(leave)], hasContent: hasContent)
    }

    /// Events of a room the user has left that they may see: those while they were joined, and
    /// their own membership events (someone who only rejected an invite sees just that).
    private func visibleBeforeLeaving(roomID: String, from: Int64, leave: Int64, limit: Int) async throws -> [RoomEvent]
    {
        var joined = try await store.membership(roomID: roomID, userID: session.userID, at: from) == "join"
        var visible: [RoomEvent] = []
        for event in try await store.roomEvents(roomID: roomID, after: from, upTo: leave, limit: .max) {
            let isOwnMembership = event.type == "m.room.member" && event.stateKey == session.userID
            if isOwnMembership { joined = event.content["membership"]?.stringValue == "join" }
            if joined || isOwnMembership { visible.append(event) }
        }
        return Array(visible.suffix(limit))
    }

    private func roomJSON(timeline: [RoomEvent], limited: Bool, state: [RoomEvent], accountData: [JSONValue] = [])
        -> JSONValue
    {
        let format = { (event: RoomEvent) in
            ClientEventFormat.json(event, viewer: session, now: now, includeRoomID: false)
        }
        var timelineJSON: JSONObject = ["events": .array(timeline.map(format)), "limited": .bool(limited)]
        if let first = timeline.first { timelineJSON["prev_batch"] = .string("t\(first.ordering)") }
        return [
            "timeline": .object(timelineJSON),
            "state": ["events": .array(state.map(format))],
            "ephemeral": ["events": []],
            "account_data": ["events": .array(accountData)],
            "unread_notifications": ["highlight_count": 0, "notification_count": 0],
            "summary": [:],
        ]
    }
}
