import Foundation
import KeyportFederation
import KeyportServices
import MatrixModel

extension KeyportConfig {
    /// Keys this version understands; any other top-level key is reported as a warning.
    static let knownKeys: Set<String> = [
        "server_name", "listeners", "database", "signing_key_path", "enable_registration",
        "enable_registration_without_verification", "registration_shared_secret", "max_request_size", "rc_login",
        "rc_registration", "rc_key_claim", "rc_federation_key_claim", "password_config", "log_level", "log_format",
        "report_stats",
        "pid_file",
        "tls_certificate_path", "tls_private_key_path", "old_signing_keys", "key_refresh_interval",
        "federation_verify_certificates", "federation_custom_ca_list", "ip_range_blacklist", "ip_range_whitelist",
        "federation", "trusted_key_servers", "suppress_key_server_warning", "instance_name",
        "federation_sender_lease_seconds", "experimental_features", "app_service_config_files",
    ]

    /// The `experimental_features` Keyport serves; Synapse has many more, which are ignored with a warning.
    static let knownExperimentalFeatures: Set<String> = [
        "msc3814_enabled", "msc3983_appservice_otk_claims", "msc3984_appservice_key_query",
        "msc2409_to_device_messages_enabled", "msc3202_transaction_extensions",
    ]

    /// Reads a YAML configuration. Relative paths are kept as written (relative to the working
    /// directory, as Synapse does). Returns the config and the warnings to print.
    public static func parse(yaml text: String) throws(ConfigError) -> (KeyportConfig, [String]) {
        let root = try YAMLDocument.json(text)
        guard let map = root.objectValue else { throw ConfigError("the top level must be a mapping") }
        let reader = ConfigReader(map: map, path: "")
        var warnings = map.keys.filter { !knownKeys.contains($0) }.sorted().map {
            "unknown configuration key '\($0)' ignored"
        }

        guard let serverName = ServerName(try reader.requiredString("server_name")) else {
            throw ConfigError("server_name is not a valid server name")
        }
        var config = KeyportConfig.development()
        config.serverName = serverName
        config.listeners = try Self.listeners(reader)
        config.database = try Self.database(reader)
        config.signingKeyPath = try reader.string("signing_key_path") ?? "\(serverName.rawValue).signing.key"
        config.enableRegistration = try reader.bool("enable_registration") ?? false
        config.enableRegistrationWithoutVerification =
            try reader.bool("enable_registration_without_verification") ?? false
        config.registrationSharedSecret = try reader.string("registration_shared_secret")
        if let size = try reader.size("max_request_size") { config.maxRequestSize = size }
        try Self.loginRateLimits(reader, into: &config)
        config.registrationRateLimit = try reader.rateLimit("rc_registration") ?? config.registrationRateLimit
        config.keyClaimRateLimit = try reader.rateLimit("rc_key_claim") ?? config.keyClaimRateLimit
        config.federationKeyClaimRateLimit =
            try reader.rateLimit("rc_federation_key_claim") ?? config.federationKeyClaimRateLimit
        if let passwordConfig = try reader.object("password_config") {
            if let rounds = try passwordConfig.int("pbkdf2_rounds") {
                guard rounds >= 1 else { throw ConfigError("password_config.pbkdf2_rounds must be at least 1") }
                config.passwordRounds = rounds
            }
        }
        config.logFormat = try reader.string("log_format") ?? "text"
        guard ["text", "json"].contains(config.logFormat) else { throw ConfigError("log_format must be text or json") }
        config.logLevel = try reader.string("log_level") ?? "info"
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(config.logLevel) else {
            throw ConfigError("log_level must be one of trace, debug, info, notice, warning, error, critical")
        }
        try Self.federationSettings(reader, into: &config)
        try Self.scaleOutSettings(reader, into: &config)
        warnings += try Self.experimentalFeatures(reader, into: &config)
        config.appServiceConfigFiles = try reader.stringArray("app_service_config_files") ?? []
        if config.enableRegistration, !config.enableRegistrationWithoutVerification {
            throw ConfigError(
                "enable_registration needs enable_registration_without_verification: true (Keyport has no email or captcha verification)"
            )
        }
        return (config, warnings)
    }

    /// `rc_login` as Synapse writes it (`address`, `account`, `failed_attempts`, each a limit), or
    /// Keyport's earlier flat form (one limit, for addresses).
    private static func loginRateLimits(_ reader: ConfigReader, into config: inout KeyportConfig) throws(ConfigError) {
        guard let login = try reader.object("rc_login") else { return }
        let nested = ["address", "account", "failed_attempts"]
        guard nested.contains(where: { login.map[$0] != nil }) else {
            config.loginRateLimit = try reader.rateLimit("rc_login") ?? config.loginRateLimit
            return
        }
        config.loginRateLimit = try login.rateLimit("address") ?? config.loginRateLimit
        config.failedLoginRateLimit = try login.rateLimit("failed_attempts") ?? config.failedLoginRateLimit
    }

    private static func listeners(_ reader: ConfigReader) throws(ConfigError) -> [Listener] {
        guard let entries = try reader.array("listeners") else { return [Listener(port: 8008)] }
        var listeners: [Listener] = []
        for (index, entry) in entries.enumerated() {
            guard let map = entry.objectValue else { throw ConfigError("listeners[\(index)] must be a mapping") }
            let item = ConfigReader(map: map, path: "listeners[\(index)].")
            guard let port = try item.int("port"), (0...65535).contains(port) else {
                throw ConfigError("listeners[\(index)].port must be a port number")
            }
            let type = try item.string("type") ?? "http"
            guard ["http", "metrics"].contains(type) else {
                throw ConfigError("listeners[\(index)].type must be 'http' or 'metrics'")
            }
            let addresses = try item.stringArray("bind_addresses") ?? ["127.0.0.1"]
            guard !addresses.isEmpty else { throw ConfigError("listeners[\(index)].bind_addresses is empty") }
            let (servesMatrix, servesMetrics) =
                type == "metrics" ? (false, true) : try Self.resources(item, path: "listeners[\(index)].resources")
            listeners.append(
                Listener(
                    port: port, bindAddresses: addresses, tls: try item.bool("tls") ?? false,
                    xForwarded: try item.bool("x_forwarded") ?? false, servesMatrix: servesMatrix,
                    servesMetrics: servesMetrics))
        }
        guard !listeners.isEmpty else { throw ConfigError("listeners is empty") }
        return listeners
    }

    /// Synapse's `resources: [{names: [client, federation, metrics, …]}]` of an `http` listener:
    /// whether it serves the Matrix APIs and whether it serves `/metrics`. Without `resources` it
    /// serves the Matrix APIs only.
    private static func resources(_ item: ConfigReader, path: String) throws(ConfigError) -> (
        matrix: Bool, metrics: Bool
    ) {
        guard let entries = try item.array("resources") else { return (true, false) }
        var names: Set<String> = []
        for (index, entry) in entries.enumerated() {
            guard let list = entry["names"]?.arrayValue else {
                throw ConfigError("\(path)[\(index)].names must be a list of resource names")
            }
            for name in list {
                guard let text = name.stringValue else { throw ConfigError("\(path)[\(index)].names must be strings") }
                names.insert(text)
            }
        }
        let matrix = !names.isDisjoint(with: ["client", "federation", "keys", "openid", "replication", "media"])
        let metrics = names.contains("metrics")
        guard matrix || metrics else { throw ConfigError("\(path) names nothing this server serves") }
        return (matrix, metrics)
    }

    /// `experimental_features`: the ones Keyport serves are read, the others named in warnings.
    private static func experimentalFeatures(_ reader: ConfigReader, into config: inout KeyportConfig)
        throws(ConfigError) -> [String]
    {
        guard let features = try reader.object("experimental_features") else { return [] }
        config.msc3814Enabled = try features.bool("msc3814_enabled") ?? false
        config.msc3983AppServiceOTKClaims = try features.bool("msc3983_appservice_otk_claims") ?? false
        config.msc3984AppServiceKeyQuery = try features.bool("msc3984_appservice_key_query") ?? false
        config.msc2409ToDeviceMessagesEnabled = try features.bool("msc2409_to_device_messages_enabled") ?? false
        config.msc3202TransactionExtensions = try features.bool("msc3202_transaction_extensions") ?? false
        return features.map.keys.filter { !knownExperimentalFeatures.contains($0) }.sorted().map {
            "unknown experimental feature 'experimental_features.\($0)' ignored"
        }
    }

    /// `instance_name` and `federation_sender_lease_seconds`: what differs, if anything, between
    /// processes sharing one database besides their listeners.
    private static func scaleOutSettings(_ reader: ConfigReader, into config: inout KeyportConfig) throws(ConfigError) {
        if let name = try reader.string("instance_name") {
            guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" })
            else {
                throw ConfigError("instance_name must be 1 to 64 ASCII characters without spaces or '/'")
            }
            config.instanceName = name
        }
        if let seconds = try reader.number("federation_sender_lease_seconds") {
            guard seconds >= 2, seconds <= 3600 else {
                throw ConfigError("federation_sender_lease_seconds must be between 2 and 3600")
            }
            config.senderLeaseDuration = .milliseconds(Int64(seconds * 1000))
        }
    }

    private static func federationSettings(_ reader: ConfigReader, into config: inout KeyportConfig) throws(ConfigError)
    {
        config.tlsCertificatePath = try reader.string("tls_certificate_path")
        config.tlsPrivateKeyPath = try reader.string("tls_private_key_path")
        if config.listeners.contains(where: \.tls), config.tlsCertificatePath == nil || config.tlsPrivateKeyPath == nil
        {
            throw ConfigError("a listener has tls: true, so tls_certificate_path and tls_private_key_path are required")
        }
        if let old = try reader.object("old_signing_keys") {
            for (keyID, value) in old.map.sortedMembers() {
                let item = ConfigReader(map: value.objectValue ?? [:], path: "old_signing_keys.\(keyID).")
                guard keyID.hasPrefix("ed25519:"), let key = try item.string("key"),
                    let expired = try item.int("expired_ts")
                else { throw ConfigError("old_signing_keys.\(keyID) needs an ed25519 key ID, 'key' and 'expired_ts'") }
                config.oldSigningKeys.append(OldVerifyKey(keyID: keyID, publicKey: key, expiredTS: Int64(expired)))
            }
        }
        if let interval = try reader.duration("key_refresh_interval") { config.keyRefreshInterval = interval }
        config.federationVerifyCertificates = try reader.bool("federation_verify_certificates") ?? true
        config.federationCustomCAList = try reader.stringArray("federation_custom_ca_list") ?? []
        config.ipRangeBlacklist = try reader.stringArray("ip_range_blacklist") ?? IPRangeSet.defaultBlacklist
        config.ipRangeWhitelist = try reader.stringArray("ip_range_whitelist") ?? []
        for (key, ranges) in [
            ("ip_range_blacklist", config.ipRangeBlacklist), ("ip_range_whitelist", config.ipRangeWhitelist),
        ] {
            do {
                _ = try IPRangeSet(ranges)
            } catch {
                throw ConfigError("\(key): \(error)")
            }
        }
        if let federation = try reader.object("federation") {
            var schedule = RetrySchedule()
            if let minimum = try federation.duration("destination_min_retry_interval") { schedule.minimum = minimum }
            if let multiplier = try federation.number("destination_retry_multiplier") {
                guard multiplier >= 1 else {
                    throw ConfigError("federation.destination_retry_multiplier must be at least 1")
                }
                schedule.multiplier = multiplier
            }
            if let maximum = try federation.duration("destination_max_retry_interval") { schedule.maximum = maximum }
            config.federationRetry = schedule
        }
    }

    private static func database(_ reader: ConfigReader) throws(ConfigError) -> Database {
        guard let database = try reader.object("database") else { return .sqlite(path: "keyport-data/keyport.db") }
        let name = try database.string("name") ?? "sqlite3"
        switch name {
        case "sqlite3":
            let path = try database.object("args")?.string("database") ?? "keyport-data/keyport.db"
            return .sqlite(path: path)
        case "psycopg2", "postgres":
            guard let args = try database.object("args") else {
                throw ConfigError("database.args is required for \(name) (user, dbname, host, port, password)")
            }
            return .postgres(try postgres(args))
        default:
            throw ConfigError("database.name '\(name)' is not supported (use sqlite3, psycopg2 or postgres)")
        }
    }

    /// Synapse's `database.args` for psycopg2: `user`, `password`, `dbname` (or `database`), `host`,
    /// `port`, `cp_min`, `cp_max`. Other psycopg2 arguments (`sslmode`, `keepalives_idle`, …) are not
    /// read.
    private static func postgres(_ args: ConfigReader) throws(ConfigError) -> PostgresSettings {
        let dbname = try args.string("dbname")
        let database = try args.string("database")
        if let dbname, let database, dbname != database {
            throw ConfigError("database.args.dbname and database.args.database name different databases")
        }
        guard let name = dbname ?? database, !name.isEmpty else {
            throw ConfigError("database.args.dbname (or database) is required for PostgreSQL")
        }
        guard let user = try args.string("user"), !user.isEmpty else {
            throw ConfigError("database.args.user is required for PostgreSQL")
        }
        var settings = PostgresSettings(user: user, password: try args.string("password"), database: name)
        if let host = try args.string("host") {
            guard !host.isEmpty else { throw ConfigError("database.args.host must not be empty") }
            settings.host = host
        }
        if let port = try args.int("port") {
            guard (1...65535).contains(port) else { throw ConfigError("database.args.port must be 1 to 65535") }
            settings.port = port
        }
        if let minimum = try args.int("cp_min") {
            guard minimum >= 0 else { throw ConfigError("database.args.cp_min must not be negative") }
            settings.minimumConnections = minimum
        }
        if let maximum = try args.int("cp_max") {
            guard maximum >= 1 else { throw ConfigError("database.args.cp_max must be at least 1") }
            settings.maximumConnections = maximum
        }
        guard settings.minimumConnections <= settings.maximumConnections else {
            throw ConfigError("database.args.cp_min must not be more than cp_max")
        }
        return settings
    }
}
