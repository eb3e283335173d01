import KeyportStore
import PostgresNIO

/// The streams whose rows carry positions readers page by, each with one counter row in
/// `stream_positions`.
///
/// A writer advances its stream's counter with `UPDATE … SET position = position + n RETURNING`
/// in the transaction that inserts the rows, and inserts them with the positions it got. The
/// counter row stays locked until that transaction ends, so a second writer waits, and commit
/// order is position order. Readers take the stream's current position from the counter row: a
/// committed position N means every row up to N is committed (or rolled back, leaving a hole no
/// one will fill). An auto-increment column would let position N+1 commit while N is still open.
///
/// A transaction that advances several counters takes them in `lockOrder` (room events first, then
/// the PDU queue a room write will fill; device-list changes are given positions at commit), so two
/// writers never wait in a circle; a deadlock all the same is retried like any other.
enum StreamCounter: String, CaseIterable {
    case roomEvents = "room_events"
    case deviceList = "device_list"
    case toDevice = "to_device"
    case federationOutbox = "federation_outbox"
    case federationPDUOutbox = "federation_pdu_outbox"
    case accountData = "account_data"

    /// The order in which one transaction may take several counters.
    static let lockOrder: [StreamCounter] = [
        .roomEvents, .federationPDUOutbox, .deviceList, .toDevice, .federationOutbox, .accountData,
    ]

    /// The table whose rows take their positions from this counter, and the column holding them.
    var positionedColumn: (table: String, column: String) {
        switch self {
        case .roomEvents: ("room_events", "ordering")
        case .deviceList: ("device_list_stream", "stream_id")
        case .toDevice: ("device_inbox", "stream_id")
        case .federationOutbox: ("federation_outbox", "id")
        case .federationPDUOutbox: ("federation_pdu_outbox", "id")
        // Every write gives its row a new position and rows are never deleted, so the newest row
        // holds the counter's value.
        case .accountData: ("account_data", "stream_id")
        }
    }
}

extension PostgresTransaction {
    /// Takes `count` positions of `stream`; returns the first. The counter row stays locked until
    /// this transaction ends.
    func reservePositions(_ stream: StreamCounter, count: Int) async throws -> Int64 {
        precondition(count > 0)
        let last = try await value(
            Int64.self,
            """
            UPDATE stream_positions SET position = position + \(Int64(count)) WHERE stream = \(stream.rawValue)
            RETURNING position
            """)
        guard let last else { throw PostgresStoreError.missingStreamCounter(stream.rawValue) }
        return last - Int64(count) + 1
    }

    /// The newest committed position of `stream` (0 when nothing was ever written).
    func currentPosition(_ stream: StreamCounter) async throws -> Int64 {
        try await value(Int64.self, "SELECT position FROM stream_positions WHERE stream = \(stream.rawValue)") ?? 0
    }
}

/// A device-list change waiting for its position.
struct PendingChange {
    var userID: String
    var kind: DeviceListChange.Kind
    var deviceID: String?
    var roomID: String?
    var membership: String?
}

extension PostgresTransaction {
    /// Appends a change to the device-list stream. Its position is taken when the transaction
    /// commits (or at `flushChanges()`), in the order changes were appended.
    func appendChange(
        userID: String, kind: DeviceListChange.Kind, deviceID: String? = nil, roomID: String? = nil,
        membership: String? = nil
    ) {
        pendingChanges.append(
            PendingChange(userID: userID, kind: kind, deviceID: deviceID, roomID: roomID, membership: membership))
    }

    /// Appends a change a shared rule decided on.
    func appendChange(_ change: KeyChangeRules.Change) {
        appendChange(userID: change.userID, kind: change.kind, deviceID: change.deviceID)
    }

    /// Gives the pending changes their positions and inserts them; returns the last position
    /// given, or nil when none was pending.
    @discardableResult
    func flushChanges() async throws -> Int64? {
        guard !pendingChanges.isEmpty else { return nil }
        let changes = pendingChanges
        pendingChanges = []
        var position = try await reservePositions(.deviceList, count: changes.count)
        for change in changes {
            try await execute(
                """
                INSERT INTO device_list_stream (stream_id, user_id, kind, device_id, room_id, membership)
                VALUES (\(position), \(change.userID), \(change.kind.rawValue), \(change.deviceID), \(change.roomID),
                    \(change.membership))
                """)
            position += 1
        }
        return position - 1
    }
}

/// Engine faults that are not domain outcomes.
enum PostgresStoreError: Error, CustomStringConvertible {
    case missingStreamCounter(String)
    case migrationFailed(String, any Error)

    var description: String {
        switch self {
        case .missingStreamCounter(let stream): "stream_positions has no row for '\(stream)'"
        case .migrationFailed(let name, let error): "migration \(name) failed: \(String(reflecting: error))"
        }
    }
}
