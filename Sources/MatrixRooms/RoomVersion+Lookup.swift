/// Finding a room version by identifier, and telling "unsupported" apart from "unknown".
extension RoomVersion {
    /// The versions Keyport can take part in, in ascending order.
    public static let supported: [RoomVersion] = [.v10, .v11, .v12]

    /// The version a new room gets: Synapse 1.163's default.
    public static let defaultForNewRooms: RoomVersion = .v12

    /// Versions the spec defines that Keyport does not support: their rooms are refused with
    /// `M_UNSUPPORTED_ROOM_VERSION` / `M_INCOMPATIBLE_ROOM_VERSION`, never handled wrongly.
    public static let specifiedButUnsupported: Set<String> = ["1", "2", "3", "4", "5", "6", "7", "8", "9"]

    /// The supported version with this identifier, or nil.
    public static func named(_ identifier: String) -> RoomVersion? {
        supported.first { $0.identifier == identifier }
    }

    /// Whether `identifier` is any version the spec defines, supported or not: the create-event
    /// rule "`content.room_version` is not a recognised version" uses the broader set.
    public static func isRecognised(_ identifier: String) -> Bool {
        named(identifier) != nil || specifiedButUnsupported.contains(identifier)
    }
}
