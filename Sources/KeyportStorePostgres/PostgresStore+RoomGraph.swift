public import KeyportStore

/// The room graph on PostgreSQL. Not yet written: every call fails (work in progress on a branch).
extension PostgresStore {
    public func roomVersion(roomID: String) async throws -> String? { throw StoreError.notFound }
    public func applyRoomUpdate(_ update: RoomUpdate) async throws -> [RoomEvent] { throw StoreError.notFound }
    public func forwardExtremities(roomID: String) async throws -> Set<String> { throw StoreError.notFound }
    public func events(_ ids: Set<String>) async throws -> [String: RoomEvent] { throw StoreError.notFound }
    public func stateAfter(eventID: String) async throws -> RoomStateIDs? { throw StoreError.notFound }
    public func authChain(of ids: Set<String>) async throws -> Set<String> { throw StoreError.notFound }
    public func rejectedEvents(among ids: Set<String>) async throws -> Set<String> { throw StoreError.notFound }
    public func legacyRooms() async throws -> [String] { [] }
    public func replaceLegacyRoom(_ update: RoomUpdate, version: String) async throws -> [RoomEvent] {
        throw StoreError.notFound
    }
}
