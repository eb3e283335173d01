import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// The `changed` / `left` rules of guarantee 6, over a real store.
@Suite struct DeviceListServiceTests {
    @Test func ownChangesAndSharedRoomsOnly() async throws {
        let store = try Fixtures.store()
        let service = DeviceListService(store: store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        let carol = try await Fixtures.user("carol", in: store)
        _ = try await store.setMembership(roomID: "!r:test.local", userID: alice, membership: "join")
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "join")
        let before = try await service.currentPosition()
        _ = try await store.setDisplayName(userID: bob, deviceID: "DEV", displayName: "new")
        _ = try await store.setDisplayName(userID: carol, deviceID: "DEV", displayName: "new")
        let now = try await service.currentPosition()
        let aliceView = try await service.changes(for: alice, from: before, to: now)
        #expect(aliceView.changed == [bob])
        #expect(aliceView.left == [])
        let bobView = try await service.changes(for: bob, from: before, to: now)
        #expect(bobView.changed == [bob])
        let carolView = try await service.changes(for: carol, from: before, to: now)
        #expect(carolView.changed == [carol])
        #expect(try await service.changes(for: alice, from: now, to: now).changed == [])
    }

    @Test func anInviteOrARejectedInviteLeavesNobody() async throws {
        let store = try Fixtures.store()
        let service = DeviceListService(store: store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        _ = try await store.setMembership(roomID: "!r:test.local", userID: alice, membership: "join")
        let start = try await service.currentPosition()
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "invite")
        let invited = try await service.currentPosition()
        #expect(try await service.changes(for: bob, from: start, to: invited) == ([], []), "bob never shared a room")
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "leave")
        let rejected = try await service.currentPosition()
        #expect(try await service.changes(for: bob, from: start, to: rejected) == ([], []))
        // Joined and left inside one window: the sharing it began is over.
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "join")
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "leave")
        let over = try await service.currentPosition()
        #expect(try await service.changes(for: bob, from: rejected, to: over) == ([], [alice]))
    }

    @Test func joiningAndLeaving() async throws {
        let store = try Fixtures.store()
        let service = DeviceListService(store: store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        _ = try await store.setMembership(roomID: "!r:test.local", userID: alice, membership: "join")
        let start = try await service.currentPosition()
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "join")
        let joined = try await service.currentPosition()
        #expect(try await service.changes(for: alice, from: start, to: joined) == ([bob], []))
        #expect(try await service.changes(for: bob, from: start, to: joined) == ([alice, bob], []))
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "leave")
        let left = try await service.currentPosition()
        #expect(try await service.changes(for: alice, from: joined, to: left) == ([], [bob]))
        #expect(try await service.changes(for: bob, from: joined, to: left) == ([], [alice]))
        // A device change while no room is shared is not reported.
        _ = try await store.setDisplayName(userID: bob, deviceID: "DEV", displayName: "x")
        let changedApart = try await service.currentPosition()
        #expect(try await service.changes(for: alice, from: left, to: changedApart) == ([], []))
        // Rejoining makes bob changed again.
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "join")
        let rejoined = try await service.currentPosition()
        #expect(try await service.changes(for: alice, from: left, to: rejoined) == ([bob], []))
    }

    @Test func leavingOneOfTwoSharedRoomsIsNotLeft() async throws {
        let store = try Fixtures.store()
        let service = DeviceListService(store: store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        for room in ["!a:test.local", "!b:test.local"] {
            _ = try await store.setMembership(roomID: room, userID: alice, membership: "join")
            _ = try await store.setMembership(roomID: room, userID: bob, membership: "join")
        }
        let start = try await service.currentPosition()
        _ = try await store.setMembership(roomID: "!a:test.local", userID: bob, membership: "leave")
        let end = try await service.currentPosition()
        #expect(try await service.changes(for: alice, from: start, to: end) == ([], []))
    }

    @Test func userSigningKeyChangesAreTheOwnersOnly() async throws {
        let store = try Fixtures.store()
        let service = DeviceListService(store: store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        _ = try await store.setMembership(roomID: "!r:test.local", userID: alice, membership: "join")
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "join")
        let start = try await service.currentPosition()
        try await store.setCrossSigningKeys(
            userID: bob,
            keys: [CrossSigningKeyRecord(usage: .userSigning, publicKey: "U", object: ["usage": ["user_signing"]])])
        let end = try await service.currentPosition()
        #expect(try await service.changes(for: alice, from: start, to: end) == ([], []))
        #expect(try await service.changes(for: bob, from: start, to: end) == ([bob], []))
    }

    @Test func answersDependOnlyOnThePositions() async throws {
        let store = try Fixtures.store()
        let service = DeviceListService(store: store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        _ = try await store.setMembership(roomID: "!r:test.local", userID: alice, membership: "join")
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "join")
        let joined = try await service.currentPosition()
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "leave")
        let left = try await service.currentPosition()
        let before = try await service.changes(for: alice, from: joined, to: left)
        #expect(before == ([], [bob]))
        // Later changes (bob rejoins) do not rewrite the answer for the earlier window.
        _ = try await store.setMembership(roomID: "!r:test.local", userID: bob, membership: "join")
        #expect(try await service.changes(for: alice, from: joined, to: left) == before)
    }

    @Test func strangersLeavingAreNotReported() async throws {
        let store = try Fixtures.store()
        let service = DeviceListService(store: store)
        let alice = try await Fixtures.user("alice", in: store)
        let carol = try await Fixtures.user("carol", in: store)
        let dave = try await Fixtures.user("dave", in: store)
        _ = try await store.setMembership(roomID: "!other:test.local", userID: carol, membership: "join")
        _ = try await store.setMembership(roomID: "!other:test.local", userID: dave, membership: "join")
        let start = try await service.currentPosition()
        _ = try await store.setMembership(roomID: "!other:test.local", userID: carol, membership: "leave")
        let end = try await service.currentPosition()
        #expect(try await service.changes(for: alice, from: start, to: end) == ([], []))
        #expect(try await service.changes(for: dave, from: start, to: end) == ([], [carol]))
    }

    @Test func tokensRoundTripAndRejectGarbage() {
        let token = StreamToken(deviceLists: 12, toDevice: 3, rooms: 7, accountData: 9)
        #expect(StreamToken(token.description) == token)
        #expect(StreamToken("s5") == StreamToken(deviceLists: 5))
        #expect(StreamToken("s1_2_3") == StreamToken(deviceLists: 1, toDevice: 2, rooms: 3), "an older token")
        #expect(StreamToken("x5_1_1") == nil)
        #expect(StreamToken("s-1_0_0") == nil)
        #expect(StreamToken("s1_2_3_4_5") == nil)
    }
}
