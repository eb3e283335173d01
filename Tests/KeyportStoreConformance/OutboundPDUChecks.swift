import KeyportStore
import MatrixModel
import Testing

/// `OutboundPDUStore`: each destination's queue of room events, read with the PDUs as stored,
/// deleted only under the destination's lease.
enum OutboundPDUChecks {
    static let all: [StoreCheck] = [
        StoreCheck("outbound PDUs: queued per destination in order, read with the PDU as stored", queueOrder),
        StoreCheck("outbound PDUs: an event still queued for a destination is queued once", queuedOnce),
        StoreCheck("outbound PDUs: an unknown event refuses the whole call", unknownEvent),
        StoreCheck("outbound PDUs: an event stored without a PDU reads as none", eventWithoutPDU),
        StoreCheck("outbound PDUs: deleted by queue ID, only while the lease is held", deleteUnderLease),
    ]

    static let d = "d.example"
    static let e = "e.example"

    /// The graph room's create, join and power-levels events, stored with their PDUs.
    static func seeded(_ makeStore: StoreFactory) async throws -> any KeyportStorage {
        let store = try await makeStore()
        try await RoomGraphChecks.seed(store)
        return store
    }

    static func queueOrder(_ makeStore: StoreFactory) async throws {
        let store = try await seeded(makeStore)
        #expect(try await store.destinationsWithQueuedPDUs().isEmpty)
        #expect(try await store.queuedPDUCounts().isEmpty)
        try await store.enqueuePDUs(eventIDs: ["$join", "$create"], destinations: [d, e], now: 1)
        try await store.enqueuePDUs(eventIDs: ["$power"], destinations: [d], now: 2)

        let queued = try await store.queuedPDUs(destination: d, limit: 100)
        #expect(queued.map(\.eventID) == ["$join", "$create", "$power"], "the order of the calls and of each call")
        #expect(queued.map(\.id) == queued.map(\.id).sorted() && Set(queued.map(\.id)).count == 3)
        #expect(queued.allSatisfy { $0.destination == d })
        let stored = try await store.events(["$join", "$create", "$power"])
        for entry in queued {
            let pdu = try #require(entry.pdu)
            #expect(pdu == stored[entry.eventID]?.pdu, "the PDU of \(entry.eventID) as stored")
            #expect(pdu["hashes"] != nil && pdu["signatures"] != nil)
            #expect(pdu["event_id"] == nil, "nothing added")
        }
        #expect(try await store.queuedPDUs(destination: d, limit: 2).map(\.eventID) == ["$join", "$create"])
        #expect(try await store.queuedPDUs(destination: e, limit: 100).map(\.eventID) == ["$join", "$create"])
        #expect(try await store.queuedPDUs(destination: "other.example", limit: 100).isEmpty)
        #expect(try await store.destinationsWithQueuedPDUs() == [d, e])
        #expect(try await store.queuedPDUCounts() == [d: 3, e: 2])
        #expect(try await store.queuedEDUCounts().isEmpty, "PDUs are not EDUs")
    }

    static func queuedOnce(_ makeStore: StoreFactory) async throws {
        let store = try await seeded(makeStore)
        try await store.enqueuePDUs(eventIDs: ["$create", "$join"], destinations: [d], now: 1)
        try await store.enqueuePDUs(eventIDs: ["$join", "$power"], destinations: [d, e], now: 2)
        #expect(
            try await store.queuedPDUs(destination: d, limit: 100).map(\.eventID) == ["$create", "$join", "$power"])
        #expect(try await store.queuedPDUs(destination: e, limit: 100).map(\.eventID) == ["$join", "$power"])
    }

    static func unknownEvent(_ makeStore: StoreFactory) async throws {
        let store = try await seeded(makeStore)
        await #expect(throws: StoreError.notFound) {
            try await store.enqueuePDUs(eventIDs: ["$join", "$nowhere"], destinations: [d], now: 1)
        }
        #expect(try await store.queuedPDUs(destination: d, limit: 100).isEmpty, "nothing queued")
        try await store.enqueuePDUs(eventIDs: [], destinations: [d], now: 1)
        try await store.enqueuePDUs(eventIDs: ["$join"], destinations: [], now: 1)
        #expect(try await store.queuedPDUCounts().isEmpty)
    }

    static func eventWithoutPDU(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.createRoom(roomID: "!plain:example.com", version: "12", creator: alice, now: 1)
        try await store.appendEvents([
            RoomEvent(
                eventID: "$plain", roomID: "!plain:example.com", type: "m.room.message", stateKey: nil, sender: alice,
                content: ["body": "hi"], originServerTS: 1)
        ])
        try await store.enqueuePDUs(eventIDs: ["$plain"], destinations: [d], now: 1)
        let queued = try await store.queuedPDUs(destination: d, limit: 10)
        #expect(queued.map(\.eventID) == ["$plain"])
        #expect(queued.first?.pdu == nil)
    }

    static func deleteUnderLease(_ makeStore: StoreFactory) async throws {
        let store = try await seeded(makeStore)
        try await store.enqueuePDUs(eventIDs: ["$create", "$join", "$power"], destinations: [d, e], now: 1)
        let queued = try await store.queuedPDUs(destination: d, limit: 10)
        let old = try #require(try await store.acquireLease("federation-sender:d", holder: "p1", now: 0, duration: 100))
        // p1 stalls past its expiry; p2 takes over.
        let current = try #require(
            try await store.acquireLease("federation-sender:d", holder: "p2", now: 200, duration: 100))
        #expect(try await !store.deleteQueuedPDUs(ids: queued.map(\.id), under: old), "p1's lease is gone")
        #expect(try await store.queuedPDUs(destination: d, limit: 10) == queued, "left for p2 to send")

        #expect(try await store.deleteQueuedPDUs(ids: queued.prefix(2).map(\.id), under: current))
        #expect(try await store.queuedPDUs(destination: d, limit: 10).map(\.eventID) == ["$power"])
        #expect(try await store.queuedPDUCounts() == [d: 1, e: 3], "another destination's entries stay")
        #expect(try await store.events(["$create", "$join"]).count == 2, "the events themselves stay")
    }
}
