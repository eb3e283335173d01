import KeyportStore
import MatrixModel
import Testing

/// `StreamStore` contracts.
enum StreamChecks {
    static let all: [StoreCheck] = [
        StoreCheck("stream: positions and ranges", ranges),
        StoreCheck("stream: memberships record changes", membershipChanges),
        StoreCheck("stream: users sharing a room and joined members", sharing),
    ]

    static func ranges(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.currentDeviceListPosition() == 0)
        #expect(try await store.deviceListChanges(from: 0, to: 100) == [])
        try await createAccounts(store, alice)
        for deviceID in ["A", "B", "C", "D"] { try await login(store, alice, deviceID) }
        let all = try await store.deviceListChanges(from: 0, to: try await store.currentDeviceListPosition())
        #expect(all.map(\.deviceID) == ["A", "B", "C", "D"])
        let ids = all.map(\.streamID)
        #expect(ids == ids.sorted() && Set(ids).count == 4, "strictly increasing")
        #expect(ids.allSatisfy { $0 > 0 })
        #expect(try await store.currentDeviceListPosition() == ids[3])

        #expect(
            try await store.deviceListChanges(from: ids[0], to: ids[2]).map(\.deviceID) == ["B", "C"],
            "from exclusive, to inclusive")
        #expect(try await store.deviceListChanges(from: ids[0] - 1, to: ids[0]).map(\.deviceID) == ["A"])
        #expect(try await store.deviceListChanges(from: ids[1], to: ids[1]) == [])
        #expect(try await store.deviceListChanges(from: ids[3], to: ids[3] + 1000) == [])
        #expect(try await store.deviceListChanges(from: ids[2], to: ids[1]) == [])
        let change = all[0]
        #expect(change.userID == alice && change.kind == .device && change.roomID == nil && change.membership == nil)
    }

    static func membershipChanges(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let before = try await store.currentDeviceListPosition()
        let joined = try await store.setMembership(roomID: "!r:x", userID: alice, membership: "join")
        #expect(joined > before)
        #expect(try await store.currentDeviceListPosition() == joined)
        let left = try await store.setMembership(roomID: "!r:x", userID: alice, membership: "leave")
        #expect(left > joined)
        let recorded = try await store.deviceListChanges(from: before, to: left)
        #expect(
            recorded == [
                DeviceListChange(
                    streamID: joined, userID: alice, kind: .membership, deviceID: nil, roomID: "!r:x",
                    membership: "join"),
                DeviceListChange(
                    streamID: left, userID: alice, kind: .membership, deviceID: nil, roomID: "!r:x", membership: "leave"
                ),
            ])
    }

    static func sharing(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let dave = "@dave:other.example"
        let erin = "@erin:other.example"
        try await store.setMembership(roomID: "!one:x", userID: alice, membership: "join")
        try await store.setMembership(roomID: "!one:x", userID: bob, membership: "join")
        try await store.setMembership(roomID: "!one:x", userID: dave, membership: "invite")
        try await store.setMembership(roomID: "!two:x", userID: alice, membership: "join")
        try await store.setMembership(roomID: "!two:x", userID: carol, membership: "join")
        try await store.setMembership(roomID: "!three:x", userID: erin, membership: "join")
        try await store.setMembership(roomID: "!three:x", userID: alice, membership: "invite")

        #expect(try await store.usersSharingRoom(with: alice) == [bob, carol])
        #expect(try await store.usersSharingRoom(with: bob) == [alice])
        #expect(try await store.usersSharingRoom(with: dave) == [], "an invite is not a join")
        #expect(try await store.usersSharingRoom(with: erin) == [])
        #expect(Set(try await store.joinedMembers(roomID: "!one:x")) == [alice, bob])
        #expect(try await store.joinedMembers(roomID: "!none:x") == [])

        try await store.setMembership(roomID: "!one:x", userID: bob, membership: "leave")
        try await store.setMembership(roomID: "!one:x", userID: dave, membership: "join")
        try await store.setMembership(roomID: "!two:x", userID: alice, membership: "ban")
        #expect(try await store.usersSharingRoom(with: alice) == [dave])
        #expect(try await store.usersSharingRoom(with: bob) == [])
        #expect(try await store.usersSharingRoom(with: carol) == [])
        #expect(Set(try await store.joinedMembers(roomID: "!one:x")) == [alice, dave])
        #expect(try await store.joinedMembers(roomID: "!two:x") == [carol])
    }
}
