import MatrixModel
import Testing

@testable import KeyportFederation

/// Which settings of `m.room.history_visibility` let a server read an event, by its users'
/// memberships at the event (Synapse's `event_visible_to_server`).
struct HistoryVisibilityTests {
    @Test func settingsAreReadFromTheContent() {
        #expect(HistoryVisibility(content: nil) == .shared)
        #expect(HistoryVisibility(content: [:]) == .shared)
        #expect(HistoryVisibility(content: ["history_visibility": 3]) == .shared)
        #expect(HistoryVisibility(content: ["history_visibility": "world_readable"]) == .worldReadable)
        #expect(HistoryVisibility(content: ["history_visibility": "shared"]) == .shared)
        #expect(HistoryVisibility(content: ["history_visibility": "invited"]) == .invited)
        #expect(HistoryVisibility(content: ["history_visibility": "joined"]) == .joined)
        #expect(HistoryVisibility(content: ["history_visibility": "secret"]) == .other("secret"))
    }

    @Test(
        arguments: [
            // (setting, memberships of the server's users, may read)
            ("world_readable", [], true), ("shared", [], true), ("secret", [], true),
            ("invited", ["invite"], true), ("invited", ["join"], true), ("invited", ["leave", "ban"], false),
            ("invited", [], false), ("joined", ["join"], true), ("joined", ["invite"], false),
            ("joined", ["leave", "join"], true), ("joined", ["leave"], false), ("joined", [], false),
        ] as [(String, [String], Bool)])
    func aServerReadsByItsUsersMemberships(setting: String, memberships: [String], mayRead: Bool) {
        let visibility = HistoryVisibility(content: ["history_visibility": .string(setting)])
        #expect(visibility.allowsServer(withMemberships: memberships) == mayRead)
    }
}
