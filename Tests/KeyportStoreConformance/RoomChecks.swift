import KeyportStore
import MatrixModel
import Testing

/// `RoomStore` contracts, and how room events feed `StreamStore`.
enum RoomChecks {
    static let all: [StoreCheck] = [
        StoreCheck("rooms: create, conflict and existence", creation),
        StoreCheck("rooms: append assigns increasing orderings", orderings),
        StoreCheck("rooms: state events replace current state per type and state key", currentState),
        StoreCheck("rooms: member events set memberships and record changes", memberEvents),
        StoreCheck(
            "rooms: a repeated transaction in the same room and type returns the earlier event",
            transactionDeduplication),
        StoreCheck("rooms: concurrent appends", concurrentAppends),
        StoreCheck("rooms: forward windows keep the newest events, oldest first", forwardWindows),
        StoreCheck("rooms: backward pages are newest first, strictly before", backwardPages),
        StoreCheck("rooms: aliases", aliases),
        StoreCheck("rooms: filters round trip, per user", filters),
    ]

    static let room = "!room:example.com"
    static let other = "!other:example.com"

    /// An event whose ID is `$<name>`.
    static func event(
        _ name: String, room roomID: String = room, type: String = "m.room.message", stateKey: String? = nil,
        sender: String = alice, content: JSONObject? = nil, transaction: ClientTransaction? = nil
    ) -> RoomEvent {
        RoomEvent(
            eventID: "$\(name)", roomID: roomID, type: type, stateKey: stateKey, sender: sender,
            content: content ?? ["body": .string(name)], originServerTS: 1_700_000_000_000, transaction: transaction)
    }

    static func member(_ name: String, _ userID: String, _ membership: String, room roomID: String = room) -> RoomEvent
    {
        event(
            name, room: roomID, type: "m.room.member", stateKey: userID, sender: userID,
            content: ["membership": .string(membership)])
    }

    /// Appends and returns the stored events.
    @discardableResult
    static func append(_ store: any KeyportStorage, _ events: RoomEvent...) async throws -> [RoomEvent] {
        try await store.appendEvents(events)
    }

    /// The event IDs of every event in the room.
    static func timeline(_ store: any KeyportStorage, _ roomID: String = room) async throws -> [String] {
        try await store.roomEvents(roomID: roomID, after: 0, upTo: .max, limit: 10_000).map(\.eventID)
    }

    static func creation(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.roomExists(roomID: room) == false)
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1_000)
        #expect(try await store.roomExists(roomID: room))
        #expect(try await store.roomExists(roomID: other) == false)

        await #expect {
            try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1_001)
        } throws: { ($0 as? StoreError)?.isConflict == true }
        await #expect(throws: StoreError.self, "another creator does not help") {
            try await store.createRoom(roomID: room, version: "10", creator: bob, now: 1_002)
        }
        try await store.createRoom(roomID: other, version: "10", creator: bob, now: 1_003)
        #expect(try await store.roomExists(roomID: other))
        #expect(try await timeline(store) == [], "a new room is empty")
        #expect(try await store.currentState(roomID: room) == [])
    }

    static func orderings(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        try await store.createRoom(roomID: other, version: "10", creator: alice, now: 1)
        let start = try await store.currentRoomPosition()
        #expect(start >= 0)

        let input = [
            event("a"), event("b", content: ["n": 1, "list": [true, nil, "x"], "o": ["k": "v"]]), event("c"),
        ]
        let first = try await store.appendEvents(input)
        #expect(first.count == 3)
        #expect(first.map(\.eventID) == ["$a", "$b", "$c"], "in order")
        let ids = first.map(\.ordering)
        #expect(ids.allSatisfy { $0 > start })
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing")
        #expect(try await store.currentRoomPosition() == ids.last)
        for (stored, original) in zip(first, input) {
            var expected = original
            expected.ordering = stored.ordering
            expected.prevEvents = stored.prevEvents
            #expect(stored == expected, "only the ordering and the chain are assigned")
        }
        #expect(try await store.roomEvents(roomID: room, after: 0, upTo: .max, limit: 100) == first, "round trip")

        // Orderings keep increasing across calls and rooms.
        let second = try await append(store, event("d", room: other)) + append(store, event("e"))
        #expect(second.map(\.ordering).allSatisfy { $0 > (ids.last ?? .max) })
        #expect(second.count == 2 && second[0].ordering < second[1].ordering)
        #expect(try await store.currentRoomPosition() == second.last?.ordering)
        #expect(try await timeline(store) == ["$a", "$b", "$c", "$e"])
        #expect(try await timeline(store, other) == ["$d"])
    }

    static func currentState(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        try await store.createRoom(roomID: other, version: "10", creator: alice, now: 1)
        let stored = try await append(
            store,
            event("create", type: "m.room.create", stateKey: "", content: ["creator": .string(alice)]),
            event("name1", type: "m.room.name", stateKey: "", content: ["name": "First"]),
            event("msg"),
            event("widgetA", type: "im.widget", stateKey: "a", content: ["v": 1]),
            event("widgetB", type: "im.widget", stateKey: "b", content: ["v": 1]))
        try await append(
            store, event("otherName", room: other, type: "m.room.name", stateKey: "", content: ["name": "Other"]))
        try await append(
            store,
            event("name2", type: "m.room.name", stateKey: "", content: ["name": "Second"]),
            event("widgetA2", type: "im.widget", stateKey: "a", content: ["v": 2]),
            // A message with the type of a state event but no state key is not state.
            event("notState", type: "m.room.name", content: ["name": "Not state"]))

        let state = try await store.currentState(roomID: room)
        #expect(Set(state.map(\.eventID)) == ["$create", "$name2", "$widgetA2", "$widgetB"])
        #expect(state.count == 4)
        let name = try await store.stateEvent(roomID: room, type: "m.room.name", stateKey: "")
        #expect(name?.eventID == "$name2")
        #expect(name?.content == ["name": "Second"])
        #expect((name?.ordering ?? 0) > (stored.last?.ordering ?? .max), "with its ordering")
        #expect(state.first { $0.eventID == "$name2" } == name)
        #expect(try await store.stateEvent(roomID: room, type: "im.widget", stateKey: "a")?.content == ["v": 2])
        #expect(try await store.stateEvent(roomID: room, type: "im.widget", stateKey: "b")?.eventID == "$widgetB")
        #expect(try await store.stateEvent(roomID: room, type: "im.widget", stateKey: "c") == nil)
        #expect(try await store.stateEvent(roomID: room, type: "m.room.topic", stateKey: "") == nil)
        #expect(
            try await store.stateEvent(roomID: room, type: "m.room.create", stateKey: "")?.content == [
                "creator": .string(alice)
            ])

        // Rooms do not share state.
        #expect(try await store.currentState(roomID: other).map(\.eventID) == ["$otherName"])
        #expect(try await store.stateEvent(roomID: other, type: "m.room.name", stateKey: "")?.eventID == "$otherName")
        #expect(try await store.stateEvent(roomID: other, type: "im.widget", stateKey: "a") == nil)
        #expect(try await store.currentState(roomID: "!none:example.com") == [])

        // Replaced state is still in the timeline.
        #expect(
            try await timeline(store) == [
                "$create", "$name1", "$msg", "$widgetA", "$widgetB", "$name2", "$widgetA2", "$notState",
            ])

        // Within one batch, the later event wins.
        try await append(
            store, event("name3", type: "m.room.name", stateKey: "", content: ["name": "Third"]),
            event("name4", type: "m.room.name", stateKey: "", content: ["name": "Fourth"]))
        #expect(try await store.stateEvent(roomID: room, type: "m.room.name", stateKey: "")?.eventID == "$name4")
        #expect(try await store.currentState(roomID: room).count == 4)
    }

    static func memberEvents(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        try await store.createRoom(roomID: other, version: "10", creator: bob, now: 1)
        #expect(try await store.memberships(userID: alice) == [])
        let before = try await store.currentDeviceListPosition()

        let joins = try await append(
            store, member("aliceJoin", alice, "join"), event("hello"), member("bobJoin", bob, "join"),
            member("carolInvite", carol, "invite"))
        let bobOther = try await append(store, member("bobOther", bob, "join", room: other))
        #expect(
            try await store.memberships(userID: alice) == [
                MembershipRecord(roomID: room, membership: "join", ordering: joins[0].ordering)
            ])
        #expect(
            try await store.memberships(userID: bob).sorted { $0.roomID < $1.roomID }
                == [
                    MembershipRecord(roomID: other, membership: "join", ordering: bobOther[0].ordering),
                    MembershipRecord(roomID: room, membership: "join", ordering: joins[2].ordering),
                ].sorted { $0.roomID < $1.roomID })
        #expect(
            try await store.memberships(userID: carol) == [
                MembershipRecord(roomID: room, membership: "invite", ordering: joins[3].ordering)
            ])

        let recorded = try await changes(store, after: before)
        #expect(
            recorded.map { "\($0.userID) \($0.kind.rawValue) \($0.roomID ?? "-") \($0.membership ?? "-")" } == [
                "\(alice) membership \(room) join", "\(bob) membership \(room) join",
                "\(carol) membership \(room) invite", "\(bob) membership \(other) join",
            ])
        #expect(recorded.allSatisfy { $0.deviceID == nil && $0.streamID > before })
        #expect(try await store.currentDeviceListPosition() == recorded.last?.streamID)

        #expect(Set(try await store.joinedMembers(roomID: room)) == [alice, bob])
        #expect(try await store.joinedMembers(roomID: other) == [bob])
        #expect(try await store.usersSharingRoom(with: alice) == [bob])
        #expect(try await store.usersSharingRoom(with: carol) == [], "an invite is not a join")

        // Leaving replaces the membership with the new ordering and records another change.
        let middle = try await store.currentDeviceListPosition()
        let left = try await append(store, member("aliceLeave", alice, "leave"), member("carolJoin", carol, "join"))
        #expect(
            try await store.memberships(userID: alice) == [
                MembershipRecord(roomID: room, membership: "leave", ordering: left[0].ordering)
            ])
        #expect(
            try await store.memberships(userID: carol) == [
                MembershipRecord(roomID: room, membership: "join", ordering: left[1].ordering)
            ])
        let later = try await changes(store, after: middle)
        #expect(
            later.map { "\($0.userID) \($0.kind.rawValue) \($0.roomID ?? "-") \($0.membership ?? "-")" } == [
                "\(alice) membership \(room) leave", "\(carol) membership \(room) join",
            ])
        #expect(Set(try await store.joinedMembers(roomID: room)) == [bob, carol])
        #expect(try await store.usersSharingRoom(with: alice) == [])
        #expect(try await store.usersSharingRoom(with: bob) == [carol])
        #expect(
            try await store.stateEvent(roomID: room, type: "m.room.member", stateKey: alice)?.eventID == "$aliceLeave")

        // Non-member state events and messages record no membership change.
        let quiet = try await store.currentDeviceListPosition()
        try await append(
            store, event("topic", type: "m.room.topic", stateKey: "", content: ["topic": "t"]), event("msg2"))
        #expect(try await changes(store, after: quiet) == [])
    }

    static func transactionDeduplication(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        let t1 = ClientTransaction(userID: alice, deviceID: "D", transactionID: "t1")
        let first = try await append(store, event("one", transaction: t1))
        #expect(first.count == 1)
        #expect(first.first?.transaction == t1)
        let position = try await store.currentRoomPosition()
        let streamPosition = try await store.currentDeviceListPosition()

        // Same user, device, transaction ID, room and event type: the earlier event, nothing written.
        let again = try await append(store, event("one-retry", transaction: t1))
        #expect(again == first)
        let longer = try await store.appendEvents([
            event("one-retry2", transaction: t1),
            event("name", type: "m.room.name", stateKey: "", content: ["name": "N"]),
            member("join", bob, "join"),
        ])
        #expect(longer == first, "only the earlier event, even for a longer batch")
        #expect(try await timeline(store) == ["$one"])
        #expect(try await store.currentRoomPosition() == position)
        #expect(try await store.currentState(roomID: room) == [])
        #expect(try await store.memberships(userID: bob) == [])
        #expect(try await store.currentDeviceListPosition() == streamPosition)

        // The same ID from another device or another user is a different transaction.
        let otherDevice = ClientTransaction(userID: alice, deviceID: "E", transactionID: "t1")
        let otherUser = ClientTransaction(userID: bob, deviceID: "D", transactionID: "t1")
        let fromE = try await append(store, event("two", transaction: otherDevice))
        #expect(fromE.map(\.eventID) == ["$two"])
        #expect((fromE.first?.ordering ?? 0) > position)
        let fromBob = try await append(store, event("three", sender: bob, transaction: otherUser))
        #expect(fromBob.map(\.eventID) == ["$three"])
        #expect(try await append(store, event("four", transaction: otherDevice)) == fromE)
        #expect(try await timeline(store) == ["$one", "$two", "$three"])

        // The ID is scoped to the request path: another room or event type is a different transaction.
        try await store.createRoom(roomID: other, version: "10", creator: alice, now: 1)
        let inOther = try await append(store, event("in-other", room: other, transaction: t1))
        #expect(inOther.map(\.eventID) == ["$in-other"])
        #expect(try await append(store, event("in-other-retry", room: other, transaction: t1)) == inOther)
        #expect(try await timeline(store, other) == ["$in-other"])
        let reaction = try await append(store, event("reaction", type: "m.reaction", transaction: t1))
        #expect(reaction.map(\.eventID) == ["$reaction"])
        #expect(try await append(store, event("reaction-retry", type: "m.reaction", transaction: t1)) == reaction)
        #expect(try await append(store, event("one-retry3", transaction: t1)) == first)
        #expect(try await timeline(store) == ["$one", "$two", "$three", "$reaction"])
        try await append(store, event("reaction-seen"))
        #expect(try await timeline(store) == ["$one", "$two", "$three", "$reaction", "$reaction-seen"])

        // Events read back carry their transaction.
        let events = try await store.roomEvents(roomID: room, after: 0, upTo: .max, limit: 10)
        #expect(events.map(\.transaction) == [t1, otherDevice, otherUser, t1, nil])
        #expect(try await append(store, event("five")).first?.transaction == nil)

        // Transaction IDs are scoped per endpoint: a to-device send with the same ID is unrelated.
        let t9 = ClientTransaction(userID: alice, deviceID: "D", transactionID: "t9")
        _ = try await store.sendToDevice(
            ToDeviceBatch(sender: alice, type: "m.dummy", local: [], remote: [:], transaction: t9), now: 1)
        #expect(try await append(store, event("six", transaction: t9)).map(\.eventID) == ["$six"])
        #expect(
            try await store.sendToDevice(
                ToDeviceBatch(sender: alice, type: "m.dummy", local: [], remote: [:], transaction: t9), now: 2) == nil)
    }

    static func concurrentAppends(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        let distinct = try await withThrowingTaskGroup(of: [RoomEvent].self) { group in
            for n in 0..<30 {
                group.addTask {
                    let txn = ClientTransaction(userID: alice, deviceID: "D", transactionID: "t\(n)")
                    return try await store.appendEvents([event("e\(n)", transaction: txn)])
                }
            }
            var all: [RoomEvent] = []
            for try await events in group { all += events }
            return all
        }
        #expect(distinct.count == 30)
        #expect(Set(distinct.map(\.ordering)).count == 30, "no ordering handed out twice")
        let stored = try await store.roomEvents(roomID: room, after: 0, upTo: .max, limit: 100)
        #expect(Set(stored.map(\.eventID)) == Set((0..<30).map { "$e\($0)" }), "none lost")
        #expect(stored.map(\.ordering) == distinct.map(\.ordering).sorted())
        #expect(try await store.currentRoomPosition() == stored.last?.ordering)

        // The same transaction sent concurrently is appended once; every caller gets that event.
        let same = ClientTransaction(userID: alice, deviceID: "D", transactionID: "same")
        let repeats = try await withThrowingTaskGroup(of: [RoomEvent].self) { group in
            for n in 0..<20 {
                group.addTask { try await store.appendEvents([event("same\(n)", transaction: same)]) }
            }
            var all: [[RoomEvent]] = []
            for try await events in group { all.append(events) }
            return all
        }
        #expect(repeats.allSatisfy { $0.count == 1 })
        #expect(Set(repeats.compactMap(\.first?.eventID)).count == 1, "one event for every retry")
        #expect(try await timeline(store).count == 31)
    }

    static func forwardWindows(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        try await store.createRoom(roomID: other, version: "10", creator: alice, now: 1)
        var ids: [Int64] = []
        for n in 0..<8 {
            ids += try await append(store, event("e\(n)")).map(\.ordering)
            try await append(store, event("x\(n)", room: other))
        }
        #expect(ids.count == 8)
        guard ids.count == 8 else { return }

        func window(after: Int64, upTo: Int64, limit: Int) async throws -> [String] {
            try await store.roomEvents(roomID: room, after: after, upTo: upTo, limit: limit).map(\.eventID)
        }
        let all = (0..<8).map { "$e\($0)" }
        #expect(try await window(after: 0, upTo: .max, limit: 100) == all)
        #expect(try await window(after: 0, upTo: .max, limit: 3) == ["$e5", "$e6", "$e7"], "the newest, oldest first")
        #expect(try await window(after: ids[1], upTo: ids[5], limit: 100) == ["$e2", "$e3", "$e4", "$e5"])
        #expect(try await window(after: ids[1], upTo: ids[5], limit: 2) == ["$e4", "$e5"])
        #expect(try await window(after: ids[1] - 1, upTo: ids[1], limit: 1) == ["$e1"], "upTo inclusive")
        #expect(try await window(after: ids[3], upTo: ids[3], limit: 10) == [])
        #expect(try await window(after: ids[7], upTo: .max, limit: 10) == [])
        #expect(try await window(after: ids[5], upTo: ids[2], limit: 10) == [])
        #expect(try await window(after: 0, upTo: ids[0] - 1, limit: 10) == [])
        let position = try await store.currentRoomPosition()
        #expect(try await window(after: ids[6], upTo: position, limit: 10) == ["$e7"])
        #expect(try await store.roomEvents(roomID: "!none:example.com", after: 0, upTo: .max, limit: 10) == [])
    }

    static func backwardPages(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        try await store.createRoom(roomID: other, version: "10", creator: alice, now: 1)
        var ids: [Int64] = []
        for n in 0..<8 {
            try await append(store, event("x\(n)", room: other))
            ids += try await append(store, event("e\(n)")).map(\.ordering)
        }
        #expect(ids.count == 8)
        guard ids.count == 8 else { return }

        func page(before: Int64, limit: Int) async throws -> [String] {
            try await store.roomEventsBackwards(roomID: room, before: before, limit: limit).map(\.eventID)
        }
        #expect(try await page(before: ids[5], limit: 3) == ["$e4", "$e3", "$e2"], "newest first, strictly before")
        #expect(try await page(before: ids[5] + 1, limit: 1) == ["$e5"])
        #expect(try await page(before: .max, limit: 2) == ["$e7", "$e6"])
        #expect(try await page(before: ids[2], limit: 100) == ["$e1", "$e0"])
        #expect(try await page(before: ids[0], limit: 100) == [])
        #expect(
            try await page(before: try await store.currentRoomPosition() + 1, limit: 100)
                == (0..<8).reversed().map { "$e\($0)" })
        let events = try await store.roomEventsBackwards(roomID: room, before: .max, limit: 8)
        #expect(events.map(\.ordering) == ids.reversed())
        #expect(try await store.roomEventsBackwards(roomID: "!none:example.com", before: .max, limit: 10) == [])

        // Paging backwards from the end visits each event once.
        var seen: [String] = []
        var before = Int64.max
        while true {
            let next = try await store.roomEventsBackwards(roomID: room, before: before, limit: 3)
            guard let last = next.last else { break }
            seen += next.map(\.eventID)
            before = last.ordering
        }
        #expect(seen == (0..<8).reversed().map { "$e\($0)" })
    }

    static func aliases(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 1)
        try await store.createRoom(roomID: other, version: "10", creator: alice, now: 1)
        #expect(try await store.roomID(forAlias: "#a:example.com") == nil)
        try await store.createAlias("#a:example.com", roomID: room)
        try await store.createAlias("#b:example.com", roomID: room)
        try await store.createAlias("#c:example.com", roomID: other)
        #expect(try await store.roomID(forAlias: "#a:example.com") == room)
        #expect(try await store.roomID(forAlias: "#b:example.com") == room)
        #expect(try await store.roomID(forAlias: "#c:example.com") == other)

        await #expect {
            try await store.createAlias("#a:example.com", roomID: other)
        } throws: { ($0 as? StoreError)?.isConflict == true }
        await #expect {
            try await store.createAlias("#a:example.com", roomID: room)
        } throws: { ($0 as? StoreError)?.isConflict == true }
        #expect(try await store.roomID(forAlias: "#a:example.com") == room, "a conflict changes nothing")
        #expect(try await store.roomID(forAlias: "#d:example.com") == nil)
    }

    static func filters(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let first: JSONObject = ["room": ["timeline": ["limit": 10]], "event_fields": ["type", "content.body"]]
        let second: JSONObject = ["presence": ["not_types": ["*"]]]
        let idA = try await store.saveFilter(userID: alice, filter: first)
        let idB = try await store.saveFilter(userID: alice, filter: second)
        let idC = try await store.saveFilter(userID: alice, filter: first)
        #expect(Set([idA, idB, idC]).count == 3, "a new ID on every save, even of the same filter")
        #expect(try await store.filter(userID: alice, filterID: idA) == first)
        #expect(try await store.filter(userID: alice, filterID: idB) == second)
        #expect(try await store.filter(userID: alice, filterID: idC) == first)
        #expect(try await store.filter(userID: alice, filterID: "no-such-filter") == nil)

        // Another user cannot read them.
        for id in [idA, idB, idC] {
            #expect(try await store.filter(userID: bob, filterID: id) == nil)
        }
        // Bob's own filters are his, whatever IDs they get.
        let bobFilter: JSONObject = ["account_data": ["limit": 1]]
        var bobIDs: [String] = []
        for _ in 0..<4 { bobIDs.append(try await store.saveFilter(userID: bob, filter: bobFilter)) }
        #expect(Set(bobIDs).count == 4)
        for id in bobIDs {
            #expect(try await store.filter(userID: bob, filterID: id) == bobFilter)
        }
        #expect(try await store.filter(userID: alice, filterID: idA) == first)
        #expect(try await store.filter(userID: alice, filterID: idB) == second)
        #expect(try await store.filter(userID: alice, filterID: idC) == first)
        for id in bobIDs where ![idA, idB, idC].contains(id) {
            #expect(try await store.filter(userID: alice, filterID: id) == nil)
        }
    }
}
