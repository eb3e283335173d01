import KeyportServices
import KeyportStore
import MatrixModel
import Testing

/// The rules that pick what an application service's transactions carry (Synapse's
/// `is_interested_in_event`, `_get_to_device_messages`, and the MSC3202 device-list interest).
@Suite struct AppServiceInterestTests {
    static func service() throws -> ApplicationService {
        ApplicationService(
            id: "bridge", url: "http://bridge", asToken: "as", hsToken: "hs", sender: "@bot:hs.example",
            namespaces: [
                .users: [
                    try #require(ApplicationService.Namespace(regex: "@bridged_.*:hs\\.example", exclusive: true)),
                    try #require(ApplicationService.Namespace(regex: "@watched_.*", exclusive: false)),
                ],
                .aliases: [try #require(ApplicationService.Namespace(regex: "#bridged_.*", exclusive: true))],
                .rooms: [try #require(ApplicationService.Namespace(regex: "!bridgedroom:", exclusive: false))],
            ])
    }

    static func event(
        sender: String, type: String = "m.room.message", stateKey: String? = nil, room: String = "!r:hs.example"
    ) -> RoomEvent {
        RoomEvent(
            eventID: "$e", roomID: room, type: type, stateKey: stateKey, sender: sender, content: [:],
            originServerTS: 0)
    }

    static let plainRoom = AppServiceRoom(
        roomID: "!r:hs.example", aliases: [], localJoinedMembers: ["@alice:hs.example"])

    @Test func theSenderOrANamespaceUserSendingIsOfInterest() throws {
        let service = try Self.service()
        #expect(
            AppServiceInterest.isInterested(service, in: Self.event(sender: "@bot:hs.example"), room: Self.plainRoom))
        #expect(
            AppServiceInterest.isInterested(
                service, in: Self.event(sender: "@bridged_x:hs.example"), room: Self.plainRoom))
        #expect(
            AppServiceInterest.isInterested(service, in: Self.event(sender: "@watched_y:other"), room: Self.plainRoom),
            "a non-exclusive namespace still interests")
        #expect(
            !AppServiceInterest.isInterested(service, in: Self.event(sender: "@alice:hs.example"), room: Self.plainRoom)
        )
        #expect(
            !AppServiceInterest.isInterested(
                service, in: Self.event(sender: "@xbridged_x:hs.example"), room: Self.plainRoom),
            "matched from the start of the ID")
    }

    @Test func aMembershipEventAboutANamespaceUserIsOfInterest() throws {
        let service = try Self.service()
        let invite = Self.event(sender: "@alice:hs.example", type: "m.room.member", stateKey: "@bridged_x:hs.example")
        #expect(AppServiceInterest.isInterested(service, in: invite, room: Self.plainRoom))
        let other = Self.event(sender: "@alice:hs.example", type: "m.room.topic", stateKey: "@bridged_x:hs.example")
        #expect(!AppServiceInterest.isInterested(service, in: other, room: Self.plainRoom), "only m.room.member")
    }

    @Test func aRoomInterestsByIDAliasOrLocalMember() throws {
        let service = try Self.service()
        let message = Self.event(sender: "@alice:hs.example")
        let byID = AppServiceRoom(roomID: "!bridgedroom:hs.example", aliases: [], localJoinedMembers: [])
        let byAlias = AppServiceRoom(
            roomID: "!r:hs.example", aliases: ["#bridged_a:hs.example"], localJoinedMembers: [])
        let byMember = AppServiceRoom(
            roomID: "!r:hs.example", aliases: ["#plain:hs.example"],
            localJoinedMembers: ["@alice:hs.example", "@bridged_b:hs.example"])
        for room in [byID, byAlias, byMember] {
            #expect(AppServiceInterest.isInterested(service, in: message, room: room), "\(room)")
        }
        #expect(!AppServiceInterest.isInterested(service, in: message, room: Self.plainRoom))
    }

    @Test func canonicalAliasContentGivesTheAliasAndAlternatives() {
        #expect(
            AppServiceRoom.aliases(canonicalAlias: ["alias": "#a:x", "alt_aliases": ["#b:x", 3, "#c:x"]])
                == ["#a:x", "#b:x", "#c:x"])
        #expect(AppServiceRoom.aliases(canonicalAlias: ["alias": 1]) == [])
        #expect(AppServiceRoom.aliases(canonicalAlias: nil) == [])
    }

    @Test func toDeviceGoesToNamespaceUsersAndIsConsumedOnlyForExclusiveOnes() throws {
        let service = try Self.service()
        #expect(AppServiceInterest.receivesToDevice(service, for: "@bridged_x:hs.example"))
        #expect(AppServiceInterest.receivesToDevice(service, for: "@watched_w:hs.example"))
        #expect(AppServiceInterest.receivesToDevice(service, for: "@bot:hs.example"))
        #expect(!AppServiceInterest.receivesToDevice(service, for: "@alice:hs.example"))
        #expect(AppServiceInterest.deliveryConsumesMessage(service, for: "@bridged_x:hs.example"))
        #expect(
            !AppServiceInterest.deliveryConsumesMessage(service, for: "@watched_w:hs.example"),
            "a user the service does not own keeps reading its inbox")
    }

    @Test func deviceListsAreFollowedForItsUsersAndTheirRoomMates() throws {
        let service = try Self.service()
        #expect(AppServiceInterest.followsDeviceLists(service, of: "@bridged_x:hs.example", joinedRooms: []))
        let shared = AppServiceRoom(
            roomID: "!s:hs.example", aliases: [], localJoinedMembers: ["@carol:hs.example", "@bridged_x:hs.example"])
        #expect(AppServiceInterest.followsDeviceLists(service, of: "@carol:hs.example", joinedRooms: [shared]))
        #expect(!AppServiceInterest.followsDeviceLists(service, of: "@carol:hs.example", joinedRooms: [Self.plainRoom]))
    }
}
