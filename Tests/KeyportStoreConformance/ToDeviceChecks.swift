import KeyportStore
import MatrixModel
import Testing

/// `ToDeviceStore` contracts, and the to-device part of `DeviceStore.deleteDevices`.
enum ToDeviceChecks {
    static let all: [StoreCheck] = [
        StoreCheck("to-device: named devices and * for every current device", delivery),
        StoreCheck("to-device: unknown users and devices are skipped", unknownRecipients),
        StoreCheck("to-device: a repeated transaction stores nothing", transactionDeduplication),
        StoreCheck("to-device: inbox order and after/upTo/limit", inboxRanges),
        StoreCheck("to-device: acknowledging deletes only up to the position, only for the device", acknowledgement),
        StoreCheck("to-device: the position never goes down and is never reused", positionMonotonic),
        StoreCheck("to-device: remote EDUs are queued per destination in order", remoteQueue),
        StoreCheck("to-device: deleting a device deletes its inbox and transaction IDs", deviceDeletion),
        StoreCheck("to-device: 50 concurrent sends to one device", concurrentSends),
    ]

    static let type = "m.room_key_request"

    /// A batch of local deliveries of `type` from alice's device `S`.
    static func batch(
        _ local: [(userID: String, deviceID: String, content: JSONObject)], remote: [String: JSONObject] = [:],
        sender: String = alice, transaction: ClientTransaction? = nil
    ) -> ToDeviceBatch {
        ToDeviceBatch(
            sender: sender, type: type,
            local: local.map { ToDeviceBatch.Delivery(userID: $0.userID, deviceID: $0.deviceID, content: $0.content) },
            remote: remote.mapValues { [$0] }, transaction: transaction)
    }

    static func txn(_ id: String, _ userID: String = alice, _ deviceID: String = "S") -> ClientTransaction {
        ClientTransaction(userID: userID, deviceID: deviceID, transactionID: id)
    }

    /// The whole inbox of a device.
    static func inbox(_ store: any KeyportStorage, _ userID: String, _ deviceID: String) async throws
        -> [ToDeviceMessage]
    {
        try await store.toDeviceMessages(
            userID: userID, deviceID: deviceID, after: 0, upTo: .max, limit: 10_000)
    }

    /// The `n` field of each message's content.
    static func numbers(_ messages: [ToDeviceMessage]) -> [Int64] {
        messages.map { message in
            if case .int(let n) = message.content["n"] { return n }
            return -1
        }
    }

    /// Sends one message with content `{"n": n}` to each target; returns the batch's recipients.
    @discardableResult
    static func send(
        _ store: any KeyportStorage, _ n: Int64, to targets: [(String, String)], transaction: ClientTransaction? = nil
    ) async throws -> Set<String>? {
        try await store.sendToDevice(
            batch(targets.map { ($0.0, $0.1, ["n": .int(n)]) }, transaction: transaction), now: 5_000 + n)
    }

    static func delivery(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        for deviceID in ["D1", "D2", "D3"] { try await login(store, alice, deviceID) }
        for deviceID in ["B1", "B2"] { try await login(store, bob, deviceID) }
        try await store.deleteDevices(userID: alice, deviceIDs: ["D3"])

        let content: JSONObject = [
            "algorithm": "m.megolm.v1.aes-sha2", "nested": ["list": [1, "two", true, nil]], "count": 42,
        ]
        let recipients = try await store.sendToDevice(
            batch([(alice, "*", content), (bob, "B2", ["to": "bob"])]), now: 5_000)
        #expect(recipients == [alice, bob])

        for deviceID in ["D1", "D2"] {
            let messages = try await inbox(store, alice, deviceID)
            #expect(messages.count == 1, "\(deviceID)")
            #expect(messages.first?.sender == alice)
            #expect(messages.first?.type == type)
            #expect(messages.first?.content == content)
            #expect((messages.first?.streamID ?? 0) > 0)
        }
        #expect(try await inbox(store, bob, "B2").map(\.content) == [["to": "bob"]])
        #expect(try await inbox(store, bob, "B1") == [], "only the named device")
        #expect(try await inbox(store, alice, "D3") == [], "a deleted device is not a current device")
        let ids = try await (inbox(store, alice, "D1") + inbox(store, alice, "D2") + inbox(store, bob, "B2"))
            .map(\.streamID)
        #expect(Set(ids).count == 3, "each stored message has its own position")

        // A device created after the send did not exist when `*` was expanded.
        try await login(store, alice, "D4")
        #expect(try await inbox(store, alice, "D4") == [])
    }

    static func unknownRecipients(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "D1")
        // bob has an account but no device; carol has no account.
        let recipients = try await store.sendToDevice(
            batch([
                (alice, "NOPE", ["n": 1]), (alice, "D1", ["n": 2]), (bob, "*", ["n": 3]), (bob, "D1", ["n": 4]),
                (carol, "*", ["n": 5]), (carol, "D1", ["n": 6]),
            ]), now: 5_000)
        #expect(recipients == [alice])
        #expect(numbers(try await inbox(store, alice, "D1")) == [2])
        #expect(try await inbox(store, alice, "NOPE") == [])
        #expect(try await inbox(store, bob, "D1") == [])
        #expect(try await inbox(store, carol, "D1") == [])

        // Nobody to deliver to: an empty set, not nil (nil means a repeated transaction).
        let none = try await store.sendToDevice(batch([(carol, "*", ["n": 7])], transaction: txn("t-none")), now: 6_000)
        #expect(none == [])
        // A device created afterwards does not receive the skipped message.
        try await login(store, alice, "NOPE")
        #expect(try await inbox(store, alice, "NOPE") == [])
    }

    static func transactionDeduplication(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "D")
        let remote: [String: JSONObject] = ["other.example": ["message_id": "m1"]]

        let first = try await store.sendToDevice(
            batch([(alice, "D", ["n": 1])], remote: remote, transaction: txn("t1")), now: 5_000)
        #expect(first == [alice])
        let position = try await store.currentToDevicePosition()

        let second = try await store.sendToDevice(
            batch([(alice, "D", ["n": 2])], remote: remote, transaction: txn("t1")), now: 5_001)
        #expect(second == nil)
        #expect(numbers(try await inbox(store, alice, "D")) == [1], "nothing stored for the repeat")
        #expect(
            try await store.queuedEDUs(destination: "other.example", limit: 100).count == 1,
            "no EDU queued for the repeat")
        #expect(try await store.currentToDevicePosition() == position)

        // The same transaction ID from another device, or another user's device of the same ID,
        // is a different transaction.
        #expect(
            try await store.sendToDevice(batch([(alice, "D", ["n": 3])], transaction: txn("t1", alice, "S2")), now: 1)
                == [alice])
        #expect(
            try await store.sendToDevice(
                batch([(alice, "D", ["n": 4])], sender: bob, transaction: txn("t1", bob, "S")), now: 1) == [alice])
        // A new transaction ID from the first device.
        #expect(
            try await store.sendToDevice(batch([(alice, "D", ["n": 5])], transaction: txn("t2")), now: 1) == [alice])
        // No transaction at all: never a duplicate.
        #expect(try await send(store, 6, to: [(alice, "D")]) == [alice])
        #expect(try await send(store, 6, to: [(alice, "D")]) == [alice])
        // Each of those is remembered too.
        #expect(
            try await store.sendToDevice(batch([(alice, "D", ["n": 7])], transaction: txn("t1", alice, "S2")), now: 1)
                == nil)
        #expect(try await store.sendToDevice(batch([(alice, "D", ["n": 8])], transaction: txn("t2")), now: 1) == nil)
        #expect(numbers(try await inbox(store, alice, "D")) == [1, 3, 4, 5, 6, 6])

        // Acknowledging the messages does not forget the transactions.
        try await store.deleteToDeviceMessages(userID: alice, deviceID: "D", upTo: .max)
        #expect(try await store.sendToDevice(batch([(alice, "D", ["n": 9])], transaction: txn("t1")), now: 1) == nil)
        #expect(try await inbox(store, alice, "D") == [])
    }

    static func inboxRanges(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "D")
        try await login(store, alice, "E")
        try await login(store, bob, "D")
        #expect(try await inbox(store, alice, "D") == [])
        for n in Int64(1)...6 {
            try await send(store, n, to: [(alice, "D")])
            // Interleaved messages for other devices must not show up or shift the windows.
            try await send(store, 100 + n, to: [(alice, "E"), (bob, "D")])
        }
        let all = try await inbox(store, alice, "D")
        #expect(numbers(all) == [1, 2, 3, 4, 5, 6], "oldest first")
        let ids = all.map(\.streamID)
        #expect(ids == ids.sorted() && Set(ids).count == 6, "strictly increasing")
        guard ids.count == 6 else { return }

        func window(after: Int64, upTo: Int64, limit: Int) async throws -> [Int64] {
            numbers(
                try await store.toDeviceMessages(userID: alice, deviceID: "D", after: after, upTo: upTo, limit: limit))
        }
        #expect(
            try await window(after: ids[1], upTo: ids[4], limit: 100) == [3, 4, 5], "after exclusive, upTo inclusive")
        #expect(try await window(after: ids[1] - 1, upTo: ids[1], limit: 100) == [2])
        #expect(try await window(after: 0, upTo: .max, limit: 2) == [1, 2], "limit keeps the oldest")
        #expect(try await window(after: ids[2], upTo: .max, limit: 2) == [4, 5])
        #expect(try await window(after: ids[0], upTo: ids[5], limit: 1) == [2])
        #expect(try await window(after: ids[3], upTo: ids[3], limit: 100) == [])
        #expect(try await window(after: ids[5], upTo: .max, limit: 100) == [])
        #expect(try await window(after: ids[4], upTo: ids[1], limit: 100) == [])
        #expect(try await window(after: 0, upTo: ids[0] - 1, limit: 100) == [])
        #expect(numbers(try await inbox(store, alice, "E")) == [101, 102, 103, 104, 105, 106])
        #expect(numbers(try await inbox(store, bob, "D")) == [101, 102, 103, 104, 105, 106])
    }

    static func acknowledgement(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "D1")
        try await login(store, alice, "D2")
        try await login(store, bob, "D1")
        for n in Int64(1)...5 { try await send(store, n, to: [(alice, "D1"), (alice, "D2"), (bob, "D1")]) }
        let ids = try await inbox(store, alice, "D1").map(\.streamID)
        #expect(ids.count == 5)
        guard ids.count == 5 else { return }

        try await store.deleteToDeviceMessages(userID: alice, deviceID: "D1", upTo: ids[2])
        #expect(numbers(try await inbox(store, alice, "D1")) == [4, 5], "upTo is inclusive")
        #expect(numbers(try await inbox(store, alice, "D2")) == [1, 2, 3, 4, 5], "other devices keep theirs")
        #expect(numbers(try await inbox(store, bob, "D1")) == [1, 2, 3, 4, 5], "other users keep theirs")

        // Acknowledging an older position again deletes nothing more.
        try await store.deleteToDeviceMessages(userID: alice, deviceID: "D1", upTo: ids[0])
        #expect(numbers(try await inbox(store, alice, "D1")) == [4, 5])
        // Below every message: nothing.
        try await store.deleteToDeviceMessages(userID: alice, deviceID: "D2", upTo: 0)
        #expect(numbers(try await inbox(store, alice, "D2")) == [1, 2, 3, 4, 5])
        // Unknown device: no error, nothing changes.
        try await store.deleteToDeviceMessages(userID: carol, deviceID: "D1", upTo: .max)

        try await store.deleteToDeviceMessages(userID: alice, deviceID: "D1", upTo: .max)
        #expect(try await inbox(store, alice, "D1") == [])
        #expect(numbers(try await inbox(store, alice, "D2")) == [1, 2, 3, 4, 5])
        #expect(numbers(try await inbox(store, bob, "D1")) == [1, 2, 3, 4, 5])

        // New messages after an acknowledgement are delivered.
        try await send(store, 6, to: [(alice, "D1")])
        #expect(numbers(try await inbox(store, alice, "D1")) == [6])
    }

    static func positionMonotonic(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.currentToDevicePosition() == 0, "0 when nothing was ever written")
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        try await login(store, alice, "E")
        try await send(store, 1, to: [(alice, "D")])
        try await send(store, 2, to: [(alice, "D"), (alice, "E")])
        let first = try await inbox(store, alice, "D").map(\.streamID) + inbox(store, alice, "E").map(\.streamID)
        let position = try await store.currentToDevicePosition()
        #expect(position == first.max(), "the newest position written")

        // Acknowledge everything: the position stays.
        try await store.deleteToDeviceMessages(userID: alice, deviceID: "D", upTo: .max)
        try await store.deleteToDeviceMessages(userID: alice, deviceID: "E", upTo: .max)
        #expect(try await store.currentToDevicePosition() == position, "deletes do not move the position back")

        // Positions are not reused: a client that acknowledged `position` must see new messages.
        try await send(store, 3, to: [(alice, "D")])
        let next = try await inbox(store, alice, "D")
        #expect(numbers(next) == [3])
        #expect(next.allSatisfy { $0.streamID > position }, "new positions are greater than every earlier one")
        #expect(
            try await store.toDeviceMessages(userID: alice, deviceID: "D", after: position, upTo: .max, limit: 10).count
                == 1)
        let afterSend = try await store.currentToDevicePosition()
        #expect(afterSend > position)
        #expect(afterSend == next.first?.streamID)

        // Deleting the device with its inbox does not move it back either.
        try await store.deleteDevices(userID: alice, deviceIDs: ["D", "E"])
        #expect(try await store.currentToDevicePosition() == afterSend)
        try await login(store, alice, "D")
        try await send(store, 4, to: [(alice, "D")])
        #expect(try await inbox(store, alice, "D").allSatisfy { $0.streamID > afterSend })
        #expect(try await store.currentToDevicePosition() > afterSend)

        // A send that stores nothing does not move the position.
        let unchanged = try await store.currentToDevicePosition()
        try await send(store, 5, to: [(carol, "*")])
        #expect(try await store.currentToDevicePosition() == unchanged)
    }

    static func remoteQueue(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        #expect(try await store.queuedEDUs(destination: "one.example", limit: 100).isEmpty)

        func edu(_ id: String, _ user: String) -> JSONObject {
            [
                "sender": .string(alice), "type": .string(type), "message_id": .string(id),
                "messages": [user: ["*": ["n": 1, "nested": ["a", 2, false]]]],
            ]
        }
        let first = try await store.sendToDevice(
            batch(
                [(alice, "D", ["n": 1])],
                remote: ["one.example": edu("m1", "@x:one.example"), "two.example": edu("m2", "@y:two.example")]),
            now: 5_000)
        #expect(first == [alice], "remote destinations are not local recipients")
        let second = try await store.sendToDevice(
            batch([], remote: ["one.example": edu("m3", "@z:one.example")]), now: 5_001)
        #expect(second == [], "a remote-only batch has no local recipients")

        let one = try await store.queuedEDUs(destination: "one.example", limit: 100)
        #expect(one.map(\.content) == [edu("m1", "@x:one.example"), edu("m3", "@z:one.example")], "oldest first")
        #expect(one.allSatisfy { $0.type == "m.direct_to_device" })
        #expect(one.map(\.id) == one.map(\.id).sorted() && Set(one.map(\.id)).count == one.count)
        let two = try await store.queuedEDUs(destination: "two.example", limit: 100)
        #expect(two.map(\.content) == [edu("m2", "@y:two.example")])
        #expect(two.map(\.type) == ["m.direct_to_device"])
        #expect(try await store.queuedEDUs(destination: "three.example", limit: 100).isEmpty)
        #expect(Set(one.map(\.id)).isDisjoint(with: two.map(\.id)), "IDs are unique across destinations")
        #expect(numbers(try await inbox(store, alice, "D")) == [1])
    }

    static func deviceDeletion(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "D")
        try await login(store, alice, "S")
        try await login(store, bob, "D")
        try await send(store, 1, to: [(alice, "D"), (bob, "D")], transaction: txn("t1", alice, "D"))
        try await send(store, 2, to: [(alice, "D"), (alice, "S")])
        #expect(try await inbox(store, alice, "D").count == 2)

        #expect(try await store.deleteDevices(userID: alice, deviceIDs: ["D"]) == ["D"])
        #expect(try await inbox(store, alice, "D") == [], "pending messages are deleted with the device")
        #expect(numbers(try await inbox(store, alice, "S")) == [2], "other devices keep theirs")
        #expect(numbers(try await inbox(store, bob, "D")) == [1], "same device ID of another user keeps its inbox")

        // A new device with the same ID starts with an empty inbox and fresh transaction IDs.
        try await login(store, alice, "D")
        #expect(try await inbox(store, alice, "D") == [])
        #expect(try await send(store, 3, to: [(alice, "D")], transaction: txn("t1", alice, "D")) == [alice])
        #expect(numbers(try await inbox(store, alice, "D")) == [3])
        #expect(try await send(store, 4, to: [(alice, "D")], transaction: txn("t1", alice, "D")) == nil)
    }

    static func concurrentSends(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        let results = try await withThrowingTaskGroup(of: Set<String>?.self) { group in
            for n in Int64(0)..<50 {
                group.addTask { try await send(store, n, to: [(alice, "D")], transaction: txn("t\(n)")) }
            }
            var all: [Set<String>?] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 50)
        #expect(results.allSatisfy { $0 == [alice] }, "distinct transactions are never duplicates")

        let messages = try await inbox(store, alice, "D")
        #expect(messages.count == 50)
        #expect(Set(numbers(messages)) == Set(Int64(0)..<50), "none lost, none doubled")
        let ids = messages.map(\.streamID)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing")
        #expect(try await store.currentToDevicePosition() == ids.last)

        // Windows of 10 page through all of them exactly once.
        var paged: [ToDeviceMessage] = []
        var after: Int64 = 0
        while true {
            let page = try await store.toDeviceMessages(
                userID: alice, deviceID: "D", after: after, upTo: try await store.currentToDevicePosition(), limit: 10)
            guard let last = page.last else { break }
            #expect(page.count <= 10)
            paged += page
            after = last.streamID
        }
        #expect(paged == messages)

        // The same transaction sent concurrently is stored once.
        let repeats = try await withThrowingTaskGroup(of: Set<String>?.self) { group in
            for _ in 0..<20 {
                group.addTask { try await send(store, 99, to: [(alice, "D")], transaction: txn("same")) }
            }
            var all: [Set<String>?] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(repeats.filter { $0 != nil } == [[alice]], "exactly one send stores it")
        #expect(numbers(try await inbox(store, alice, "D")).filter { $0 == 99 }.count == 1)
    }
}
