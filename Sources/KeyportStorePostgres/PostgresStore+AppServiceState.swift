public import KeyportStore
import MatrixModel
import PostgresNIO

extension PostgresStore: AppServiceStateStore {
    public func appServiceState(serviceID: String) async throws -> AppServiceState? {
        try await read { db in try await Self.appServiceState(db, serviceID, locked: false) }
    }

    public func startAppService(serviceID: String, at positions: AppServicePositions) async throws
        -> AppServiceState
    {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO appservice_state (service_id, room_position, to_device_position, device_list_position,
                    last_txn_id, failures, retry_at)
                VALUES (\(serviceID), \(positions.roomEvents), \(positions.toDevice), \(positions.deviceLists), 0, 0, 0)
                ON CONFLICT (service_id) DO NOTHING
                """)
            guard let state = try await Self.appServiceState(db, serviceID, locked: false) else {
                throw StoreError.notFound
            }
            return state
        }
    }

    public func storePendingAppServiceTransaction(
        serviceID: String, from: AppServicePositions, body: String, positions: AppServicePositions,
        deliveredToDevice: [Int64]
    ) async throws -> AppServiceTransaction? {
        try await write { db in
            // The row stays locked until COMMIT: a second writer waits, then sees this one's pending.
            guard let state = try await Self.appServiceState(db, serviceID, locked: true), state.pending == nil,
                state.positions == from
            else { return nil }
            let transaction = AppServiceTransaction(
                id: state.lastTransactionID + 1, body: body, positions: positions,
                deliveredToDevice: deliveredToDevice)
            let delivered = Self.encode(.array(deliveredToDevice.map(JSONValue.int)))
            try await db.execute(
                """
                UPDATE appservice_state SET last_txn_id = \(transaction.id), pending_txn_id = \(transaction.id),
                    pending_body = \(body), pending_room_position = \(positions.roomEvents),
                    pending_to_device_position = \(positions.toDevice),
                    pending_device_list_position = \(positions.deviceLists), pending_to_device_json = \(delivered)
                WHERE service_id = \(serviceID)
                """)
            return transaction
        }
    }

    public func completeAppServiceTransaction(serviceID: String, transactionID: Int64) async throws -> Bool {
        try await write { db in
            guard let state = try await Self.appServiceState(db, serviceID, locked: true),
                let pending = state.pending, pending.id == transactionID
            else { return false }
            try await db.execute(
                """
                UPDATE appservice_state SET room_position = \(pending.positions.roomEvents),
                    to_device_position = \(pending.positions.toDevice),
                    device_list_position = \(pending.positions.deviceLists),
                    pending_txn_id = NULL, pending_body = NULL, pending_room_position = NULL,
                    pending_to_device_position = NULL, pending_device_list_position = NULL,
                    pending_to_device_json = NULL, failures = 0, retry_at = 0
                WHERE service_id = \(serviceID)
                """)
            if !pending.deliveredToDevice.isEmpty {
                try await db.execute("DELETE FROM device_inbox WHERE stream_id = ANY(\(pending.deliveredToDevice))")
            }
            return true
        }
    }

    public func advanceAppServicePositions(serviceID: String, from: AppServicePositions, to: AppServicePositions)
        async throws -> Bool
    {
        try await write { db in
            guard let state = try await Self.appServiceState(db, serviceID, locked: true), state.pending == nil,
                state.positions == from
            else { return false }
            try await db.execute(
                """
                UPDATE appservice_state SET room_position = \(to.roomEvents), to_device_position = \(to.toDevice),
                    device_list_position = \(to.deviceLists)
                WHERE service_id = \(serviceID)
                """)
            return true
        }
    }

    public func recordAppServiceFailure(serviceID: String, failures: Int, retryAt: Int64) async throws {
        try await write { db in
            try await db.execute(
                """
                UPDATE appservice_state SET failures = \(Int64(failures)), retry_at = \(retryAt)
                WHERE service_id = \(serviceID)
                """)
        }
    }

    private static func appServiceState(_ db: PostgresTransaction, _ serviceID: String, locked: Bool) async throws
        -> AppServiceState?
    {
        let lock = locked ? " FOR UPDATE" : ""
        guard
            let row = try await db.rows(
                """
                SELECT service_id, room_position, to_device_position, device_list_position, last_txn_id,
                    pending_txn_id, pending_body, pending_room_position, pending_to_device_position,
                    pending_device_list_position, pending_to_device_json, failures, retry_at
                FROM appservice_state WHERE service_id = \(serviceID)\(unescaped: lock)
                """
            ).first
        else { return nil }
        let (
            id, room, toDevice, deviceLists, lastID, pendingID, body, pendingRoom, pendingToDevice,
            pendingDeviceLists, delivered, failures, retryAt
        ) = try row.decode(
            (
                String, Int64, Int64, Int64, Int64, Int64?, String?, Int64?, Int64?, Int64?, String?, Int64, Int64
            ).self)
        var pending: AppServiceTransaction?
        if let pendingID, let body, let pendingRoom, let pendingToDevice, let pendingDeviceLists, let delivered {
            pending = AppServiceTransaction(
                id: pendingID, body: body,
                positions: AppServicePositions(
                    roomEvents: pendingRoom, toDevice: pendingToDevice, deviceLists: pendingDeviceLists),
                deliveredToDevice: try decode(delivered).arrayValue?.compactMap(\.intValue) ?? [])
        }
        return AppServiceState(
            serviceID: id,
            positions: AppServicePositions(roomEvents: room, toDevice: toDevice, deviceLists: deviceLists),
            lastTransactionID: lastID, pending: pending, failures: Int(failures), retryAt: retryAt)
    }
}
