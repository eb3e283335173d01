/// A room version as a value: every way versions differ is a flag here, so the rules read flags and
/// a later version is a new entry in ``RoomVersion/supported``, not a rewrite.
///
/// Only the versions Keyport supports (10, 11, 12) are defined. Each flag names the spec change it
/// stands for; see https://spec.matrix.org/latest/rooms/.
public struct RoomVersion: Sendable, Hashable, CustomStringConvertible {
    /// How the content of redacted events is cut down.
    public enum RedactionRules: Sendable, Hashable {
        /// Rooms v9–v10: `origin`, `membership` and `prev_state` survive at the top level; the create
        /// event keeps only `creator`, power levels lose `invite`, redactions lose `content.redacts`.
        case v9
        /// Rooms v11 and later (MSC2176, MSC3821, MSC3989): the create event keeps all its content,
        /// power levels keep `invite`, redactions keep `content.redacts`, member events keep
        /// `third_party_invite.signed`.
        case v11
    }

    /// Which state-resolution algorithm resolves forks.
    public enum StateResolution: Sendable, Hashable {
        /// Room version 2's algorithm, used by rooms v2–v11.
        case v2
        /// MSC4297 (room v12): the conflicted state subgraph joins the full conflicted set, and the
        /// iterative auth checks start from an empty map.
        case v21
    }

    /// The identifier in `m.room.create`'s `room_version`.
    public let identifier: String
    public let redactionRules: RedactionRules
    public let stateResolution: StateResolution
    /// v11 (MSC2175): the creator is the create event's `sender`; `content.creator` means nothing.
    public let creatorIsCreateSender: Bool
    /// v12 (MSC4291): the create event has no `room_id`; the room ID is `!` + its reference hash.
    public let roomIDIsCreateEventHash: Bool
    /// v12 (MSC4291): the create event is never listed in `auth_events`; `room_id` implies it.
    public let createEventInAuthEvents: Bool
    /// v12 (MSC4289): the create event's sender and `additional_creators` have infinite power and
    /// may not be named in power levels' `users`.
    public let creatorsHaveInfinitePower: Bool
    /// v11 (MSC3989): a redaction's target is `content.redacts`, not the top-level `redacts`.
    public let redactsInContent: Bool

    public var description: String { identifier }

    /// Room version 10: knock_restricted, integer-only power levels.
    public static let v10 = RoomVersion(
        identifier: "10", redactionRules: .v9, stateResolution: .v2, creatorIsCreateSender: false,
        roomIDIsCreateEventHash: false, createEventInAuthEvents: true, creatorsHaveInfinitePower: false,
        redactsInContent: false)

    /// Room version 11: implicit creator, updated redaction rules, `redacts` in content.
    public static let v11 = RoomVersion(
        identifier: "11", redactionRules: .v11, stateResolution: .v2, creatorIsCreateSender: true,
        roomIDIsCreateEventHash: false, createEventInAuthEvents: true, creatorsHaveInfinitePower: false,
        redactsInContent: true)

    /// Room version 12: v11 plus MSC4289 (creators), MSC4291 (room ID = create event hash) and MSC4297
    /// (state resolution v2.1). Synapse 1.163's default.
    public static let v12 = RoomVersion(
        identifier: "12", redactionRules: .v11, stateResolution: .v21, creatorIsCreateSender: true,
        roomIDIsCreateEventHash: true, createEventInAuthEvents: false, creatorsHaveInfinitePower: true,
        redactsInContent: true)
}
