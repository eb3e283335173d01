import KeyportStore
import MatrixModel
import Testing

/// The counts the metrics report: to-device messages not yet acknowledged, EDUs queued per destination.
enum QueueCountChecks {
    static let all: [StoreCheck] = [
        StoreCheck("queues: pending to-device messages are counted until acknowledged") { makeStore in
            let store = try await makeStore()
            try await createAccounts(store, alice, bob)
            try await login(store, alice, "A1")
            try await login(store, alice, "A2")
            #expect(try await store.pendingToDeviceCount() == 0)
            let batch = ToDeviceBatch(
                sender: bob, type: "m.test",
                local: [ToDeviceBatch.Delivery(userID: alice, deviceID: "*", content: ["n": 1])], remote: [:],
                transaction: nil)
            _ = try await store.sendToDevice(batch, now: 1)
            #expect(try await store.pendingToDeviceCount() == 2)
            try await store.deleteToDeviceMessages(
                userID: alice, deviceID: "A1", upTo: try await store.currentToDevicePosition())
            #expect(try await store.pendingToDeviceCount() == 1)
        },
        StoreCheck("queues: queued EDUs are counted per destination until deleted") { makeStore in
            let store = try await makeStore()
            #expect(try await store.queuedEDUCounts().isEmpty)
            try await store.enqueueEDUs(
                [
                    QueuedEDU(destination: "a.example", type: "m.test", content: ["n": 1]),
                    QueuedEDU(destination: "a.example", type: "m.test", content: ["n": 2]),
                    QueuedEDU(destination: "b.example", type: "m.test", content: ["n": 3]),
                ], now: 1)
            #expect(try await store.queuedEDUCounts() == ["a.example": 2, "b.example": 1])
            let first = try #require(try await store.queuedEDUs(destination: "a.example", limit: 1).first)
            let lease = try #require(try await store.acquireLease("sender:a", holder: "p", now: 1, duration: 100))
            #expect(try await store.deleteQueuedEDUs(ids: [first.id], under: lease))
            #expect(try await store.queuedEDUCounts() == ["a.example": 1, "b.example": 1])
        },
    ]
}
