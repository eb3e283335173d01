import CSQLite

/// What runs after each commit on a connection, told how many frames the WAL holds.
final class WALCommitHook {
    let handler: (Int) -> Void
    init(_ handler: @escaping (Int) -> Void) { self.handler = handler }
}

extension Database {
    /// Calls `handler` on this connection's thread after each commit with the number of frames in
    /// the WAL. Replaces SQLite's automatic checkpoint, which is itself such a hook: with this set,
    /// committing never checkpoints.
    func setWALCommitHook(_ handler: @escaping (Int) -> Void) {
        let hook = WALCommitHook(handler)
        walCommitHook = hook
        sqlite3_wal_hook(
            handle,
            { context, _, _, pages in
                if let context {
                    Unmanaged<WALCommitHook>.fromOpaque(context).takeUnretainedValue().handler(Int(pages))
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(hook).toOpaque())
    }
}
