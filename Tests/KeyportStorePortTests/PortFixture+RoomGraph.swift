import KeyportStore
import KeyportStoreConformance
import MatrixModel

/// A room written as a graph of PDUs, as the room service writes rooms: auth edges, the state after
/// each event (deltas, a removal, and a chain long enough to be cut by a full copy), an outlier
/// later written as a timeline event, rejected and soft-failed events, and a fork left open with
/// two forward extremities.
extension PortFixture {
    static let graphRoom = "!graph:example.com"

    /// Every event of the graph room, for the readout.
    static var graphEvents: [String] {
        ["$g-create", "$g-join", "$g-power", "$g-topic", "$g-late", "$g-rejected", "$g-soft", "$g-untopic"]
            + (0..<chainLength).map { "$g-s\($0)" } + ["$g-fork-a", "$g-fork-b", "$g-unknown"]
    }

    /// State events in a row past the longest chain of deltas the layout keeps.
    static let chainLength = StateGroupLayout.maxChainLength + 5

    static func graphEvent(
        _ name: String, type: String = "m.room.message", stateKey: String? = nil, sender: String = alice,
        content: JSONObject? = nil, prev: [String], auth: [String], depth: Int64, outlier: Bool = false,
        rejected: String? = nil, softFailed: Bool = false
    ) -> RoomEvent {
        let body = content ?? ["body": .string(name)]
        var pdu: JSONObject = [
            "room_id": .string(graphRoom), "type": .string(type), "sender": .string(sender), "content": .object(body),
            "depth": .int(depth), "prev_events": .array(prev.map { .string($0) }),
            "auth_events": .array(auth.map { .string($0) }), "origin_server_ts": .int(1_700_000_000_000 + depth),
            "hashes": ["sha256": .string("h-\(name)")], "signatures": ["example.com": ["ed25519:a": "s"]],
        ]
        if let stateKey { pdu["state_key"] = .string(stateKey) }
        return RoomEvent(
            eventID: "$g-\(name)", roomID: graphRoom, type: type, stateKey: stateKey, sender: sender, content: body,
            originServerTS: 1_700_000_000_000 + depth, pdu: pdu, depth: depth, prevEvents: prev, authEvents: auth,
            outlier: outlier, rejectedReason: rejected, softFailed: softFailed)
    }

    static func update(
        _ writes: [RoomEventWrite], from expected: Set<String>, to extremities: Set<String>,
        current: [RoomStateKey: String?] = [:]
    ) -> RoomUpdate {
        RoomUpdate(
            roomID: graphRoom, events: writes, expectedExtremities: expected, extremities: extremities,
            currentState: current)
    }

    static func after(_ base: String?, _ changes: [RoomStateKey: String?] = [:]) -> RoomStateAfter {
        .changed(from: base.map { .afterEvent($0) } ?? .empty, changes: changes)
    }

    static func roomGraph(_ store: any KeyportStorage) async throws {
        try await store.createRoom(roomID: graphRoom, version: "12", creator: alice, now: 6_002)
        let createKey = RoomStateKey("m.room.create", "")
        let aliceKey = RoomStateKey("m.room.member", alice)
        let powerKey = RoomStateKey("m.room.power_levels", "")
        let topicKey = RoomStateKey("m.room.topic", "")
        let create = graphEvent("create", type: "m.room.create", stateKey: "", prev: [], auth: [], depth: 1)
        let join = graphEvent(
            "join", type: "m.room.member", stateKey: alice, content: ["membership": "join"], prev: ["$g-create"],
            auth: ["$g-create"], depth: 2)
        let power = graphEvent(
            "power", type: "m.room.power_levels", stateKey: "", prev: ["$g-join"], auth: ["$g-create", "$g-join"],
            depth: 3)
        let authAll = ["$g-create", "$g-join", "$g-power"]
        _ = try await store.applyRoomUpdate(
            update(
                [
                    RoomEventWrite(create, stateAfter: after(nil, [createKey: "$g-create"])),
                    RoomEventWrite(join, stateAfter: after("$g-create", [aliceKey: "$g-join"])),
                    RoomEventWrite(power, stateAfter: after("$g-join", [powerKey: "$g-power"])),
                ], from: [], to: ["$g-power"],
                current: [createKey: "$g-create", aliceKey: "$g-join", powerKey: "$g-power"]))

        // An outlier, known first as an auth event; then rejected and soft-failed events beside it.
        let late = graphEvent("late", prev: ["$g-power"], auth: authAll, depth: 4, outlier: true)
        let topic = graphEvent("topic", type: "m.room.topic", stateKey: "", prev: ["$g-power"], auth: authAll, depth: 4)
        _ = try await store.applyRoomUpdate(
            update(
                [
                    RoomEventWrite(late, stateAfter: .none),
                    RoomEventWrite(topic, stateAfter: after("$g-power", [topicKey: "$g-topic"])),
                    RoomEventWrite(
                        graphEvent(
                            "rejected", prev: ["$g-topic"], auth: ["$g-create", "$g-nope"], depth: 5,
                            rejected: "auth events of another room"),
                        stateAfter: .none),
                    RoomEventWrite(
                        graphEvent("soft", prev: ["$g-topic"], auth: authAll, depth: 5, softFailed: true),
                        stateAfter: after("$g-topic")),
                ], from: ["$g-power"], to: ["$g-topic"], current: [topicKey: "$g-topic"]))

        // The outlier joins the timeline; a state resolution drops the topic.
        var timelineLate = late
        timelineLate.outlier = false
        timelineLate.prevEvents = ["$g-topic"]
        _ = try await store.applyRoomUpdate(
            update(
                [
                    RoomEventWrite(timelineLate, stateAfter: after("$g-topic")),
                    RoomEventWrite(
                        graphEvent("untopic", prev: ["$g-late"], auth: authAll, depth: 6),
                        stateAfter: after("$g-late", [topicKey: String?.none])),
                ], from: ["$g-topic"], to: ["$g-untopic"], current: [topicKey: String?.none]))

        // A chain of state changes long enough for a full copy.
        var previous = "$g-untopic"
        for n in 0..<chainLength {
            let key = RoomStateKey("x.state", "k\(n % 4)")
            let event = graphEvent(
                "s\(n)", type: "x.state", stateKey: key.stateKey, prev: [previous], auth: authAll, depth: Int64(7 + n))
            _ = try await store.applyRoomUpdate(
                update(
                    [RoomEventWrite(event, stateAfter: after(previous, [key: event.eventID]))], from: [previous],
                    to: [event.eventID], current: [key: event.eventID]))
            previous = event.eventID
        }

        // A fork left open: two forward extremities.
        let depth = Int64(7 + chainLength)
        for (name, expected) in [("fork-a", [previous]), ("fork-b", ["$g-fork-a"])] {
            _ = try await store.applyRoomUpdate(
                update(
                    [
                        RoomEventWrite(
                            graphEvent(name, prev: [previous], auth: authAll, depth: depth),
                            stateAfter: after(previous))
                    ], from: Set(expected), to: Set(["$g-fork-a", "$g-\(name)"])))
        }
    }
}
