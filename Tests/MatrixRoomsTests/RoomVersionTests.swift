import MatrixRooms
import Testing

@Suite("Room versions")
struct RoomVersionTests {
    @Test("Versions 10, 11 and 12 are supported; 1–9 are recognised but refused")
    func supportedVersions() {
        #expect(RoomVersion.supported.map(\.identifier) == ["10", "11", "12"])
        #expect(RoomVersion.named("12") == .v12)
        #expect(RoomVersion.named("9") == nil)
        #expect(RoomVersion.isRecognised("9"))
        #expect(!RoomVersion.isRecognised("13"))
        #expect(RoomVersion.defaultForNewRooms == .v12)
    }

    @Test("Only v12 hashes its room ID from the create event and leaves the create event out of auth_events")
    func v12Flags() {
        #expect(RoomVersion.v12.roomIDIsCreateEventHash && !RoomVersion.v12.createEventInAuthEvents)
        #expect(!RoomVersion.v11.roomIDIsCreateEventHash && RoomVersion.v11.createEventInAuthEvents)
        #expect(RoomVersion.v12.stateResolution == .v21 && RoomVersion.v11.stateResolution == .v2)
        #expect(RoomVersion.v10.redactionRules == .v9 && RoomVersion.v11.redactionRules == .v11)
    }
}
