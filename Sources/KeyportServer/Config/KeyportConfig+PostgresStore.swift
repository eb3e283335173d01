public import KeyportStorePostgres

extension KeyportConfig.PostgresSettings {
    /// The PostgreSQL store's settings for this `database.args`: a `host` starting with `/` is
    /// the directory of the server's Unix socket, as for libpq. Used by `serve` and by
    /// `migrate-sqlite-to-postgres`.
    public var storeSettings: PostgresStore.Settings {
        PostgresStore.Settings(
            endpoint: .libpq(host: host, port: port), user: user, password: password, database: database,
            minimumConnections: minimumConnections, maximumConnections: maximumConnections)
    }
}
