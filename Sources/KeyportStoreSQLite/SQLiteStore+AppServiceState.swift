import KeyportSQLite
public import KeyportStore
import MatrixModel

extension SQLiteStore: AppServiceStateStore {
    public func appServiceState(serviceID: String) async throws -> AppServiceState? {
        try await pool.read { db in try Self.appServiceState(db, serviceID) }
    }

    public func startAppService(serviceID: String, at positions: AppServicePositions) async throws
        -> AppServiceState
    {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO appservice_state (service_id, room_position, to_device_position,
                        device_list_position, last_txn_id, failures, retry_at)
                    VALUES (?, ?, ?, ?, 0, 0, 0)
                    """,
                arguments: [serviceID, positions.roomEvents, positions.toDevice, positions.deviceLists])
            guard let state = try Self.appServiceState(db, serviceID) else { throw StoreError.notFound }
            return state
        }
    }

    public func storePendingAppServiceTransaction(
        serviceID: String, from: AppServicePositions, body: String, positions: AppServicePositions,
        deliveredToDevice: [Int64]
    ) async throws -> AppServiceTransaction? {
        try await pool.write { db in
            guard let state = try Self.appServiceState(db, serviceID), state.pending == nil, state.positions == from
            else { return nil }
            let transaction = AppServiceTransaction(
                id: state.lastTransactionID + 1, body: body, positions: positions,
                deliveredToDevice: deliveredToDevice)
            try db.execute(
                sql: """
                    UPDATE appservice_state SET last_txn_id = ?, pending_txn_id = ?, pending_body = ?,
                        pending_room_position = ?, pending_to_device_position = ?,
                        pending_device_list_position = ?, pending_to_device_json = ?
                    WHERE service_id = ?
                    """,
                arguments: [
                    transaction.id, transaction.id, body, positions.roomEvents, positions.toDevice,
                    positions.deviceLists, Self.encode(.array(deliveredToDevice.map(JSONValue.int))), serviceID,
                ])
            return transaction
        }
    }

    public func completeAppServiceTransaction(serviceID: String, transactionID: Int64) async throws -> Bool {
        try await pool.write { db in
            guard let state = try Self.appServiceState(db, serviceID), let pending = state.pending,
                pending.id == transactionID
            else { return false }
            try db.execute(
                sql: """
                    UPDATE appservice_state SET room_position = ?, to_device_position = ?, device_list_position = ?,
                        pending_txn_id = NULL, pending_body = NULL, pending_room_position = NULL,
                        pending_to_device_position = NULL, pending_device_list_position = NULL,
                        pending_to_device_json = NULL, failures = 0, retry_at = 0
                    WHERE service_id = ?
                    """,
                arguments: [
                    pending.positions.roomEvents, pending.positions.toDevice, pending.positions.deviceLists, serviceID,
                ])
            let delete = try db.cachedStatement(sql: "DELETE FROM device_inbox WHERE stream_id = ?")
            for streamID in pending.deliveredToDevice { try delete.execute(arguments: [streamID]) }
            return true
        }
    }

    public func advanceAppServicePositions(serviceID: String, from: AppServicePositions, to: AppServicePositions)
        async throws -> Bool
    {
        try await pool.write { db in
            guard let state = try Self.appServiceState(db, serviceID), state.pending == nil, state.positions == from
            else { return false }
            try db.execute(
                sql: """
                    UPDATE appservice_state SET room_position = ?, to_device_position = ?, device_list_position = ?
                    WHERE service_id = ?
                    """,
                arguments: [to.roomEvents, to.toDevice, to.deviceLists, serviceID])
            return true
        }
    }

    public func recordAppServiceFailure(serviceID: String, failures: Int, retryAt: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE appservice_state SET failures = ?, retry_at = ? WHERE service_id = ?",
                arguments: [failures, retryAt, serviceID])
        }
    }

    private static func appServiceState(_ db: Database, _ serviceID: String) throws -> AppServiceState? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT service_id, room_position, to_device_position, device_list_position, last_txn_id,
                        pending_txn_id, pending_body, pending_room_position, pending_to_device_position,
                        pending_device_list_position, pending_to_device_json, failures, retry_at
                    FROM appservice_state WHERE service_id = ?
                    """,
                arguments: [serviceID])
        else { return nil }
        var pending: AppServiceTransaction?
        let pendingID: Int64? = row["pending_txn_id"]
        if let pendingID, let body: String = row["pending_body"], let room: Int64 = row["pending_room_position"],
            let toDevice: Int64 = row["pending_to_device_position"],
            let deviceLists: Int64 = row["pending_device_list_position"],
            let delivered: String = row["pending_to_device_json"]
        {
            pending = AppServiceTransaction(
                id: pendingID, body: body,
                positions: AppServicePositions(roomEvents: room, toDevice: toDevice, deviceLists: deviceLists),
                deliveredToDevice: try decode(delivered).arrayValue?.compactMap(\.intValue) ?? [])
        }
        return AppServiceState(
            serviceID: row["service_id"],
            positions: AppServicePositions(
                roomEvents: row["room_position"], toDevice: row["to_device_position"],
                deviceLists: row["device_list_position"]),
            lastTransactionID: row["last_txn_id"], pending: pending, failures: row["failures"],
            retryAt: row["retry_at"])
    }
}
