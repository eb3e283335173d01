import MatrixModel
import Testing

@testable import MatrixRooms

@Suite("State resolution: mainline ordering")
struct MainlineOrderingTests {
    /// Power levels $p3 → $p2 → $p1 (each citing the one before); $q forks from $p1.
    let parents: [String: String] = ["$p3": "$p2", "$p2": "$p1", "$q": "$p1"]

    func event(_ id: String, ts: Int64, citing powerLevels: String?) throws -> PDU {
        var room = ResolutionRoom(version: .v11)
        return try room.add(
            id, sender: ResolutionRoom.alice, type: "m.room.topic", stateKey: "", auth: powerLevels.map { [$0] } ?? [],
            ts: ts)
    }

    @Test("The mainline runs from the resolved power levels back through each one's power levels")
    func mainline() {
        #expect(MainlineOrdering.mainline(from: "$p3") { parents[$0] } == ["$p3", "$p2", "$p1"])
        #expect(MainlineOrdering.mainline(from: nil) { parents[$0] }.isEmpty)
    }

    @Test("Events under older mainline power levels come first; no power levels at all, first of all")
    func orderByPosition() throws {
        let events = [
            try event("$on-p3", ts: 1, citing: "$p3"),
            try event("$on-q", ts: 2, citing: "$q"),
            try event("$on-p1", ts: 3, citing: "$p1"),
            try event("$none", ts: 4, citing: nil),
            try event("$on-p2", ts: 0, citing: "$p2"),
        ]
        var parentOf = parents
        for event in events { parentOf[event.eventID] = event.authEvents.first }
        let mainline = MainlineOrdering.mainline(from: "$p3") { parents[$0] }
        let sorted = MainlineOrdering.sort(events, mainline: mainline) { parentOf[$0] }
        // $q is off the mainline; its nearest mainline ancestor is $p1, so $on-q ties with $on-p1.
        #expect(sorted == ["$none", "$on-q", "$on-p1", "$on-p2", "$on-p3"])
    }

    @Test("Equal positions fall back to origin_server_ts, then event ID")
    func tieBreaks() throws {
        let events = [
            try event("$b", ts: 5, citing: "$p1"), try event("$a", ts: 5, citing: "$p1"),
            try event("$c", ts: 1, citing: "$p1"),
        ]
        let parentOf = Dictionary(uniqueKeysWithValues: events.map { ($0.eventID, "$p1") })
        #expect(MainlineOrdering.sort(events, mainline: ["$p1"]) { parentOf[$0] } == ["$c", "$a", "$b"])
    }
}
