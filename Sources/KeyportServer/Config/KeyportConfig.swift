public import KeyportFederation
public import KeyportServices
public import MatrixModel

/// The server's configuration. YAML keys use Synapse's names where Synapse has the setting.
public struct KeyportConfig: Sendable {
    /// One `listeners` entry.
    public struct Listener: Sendable, Equatable {
        public var port: Int
        public var bindAddresses: [String]
        public var tls: Bool
        /// `x_forwarded`: the listener sits behind a reverse proxy, so the client's address is the
        /// first entry of `X-Forwarded-For`. Trusted on this listener only.
        public var xForwarded: Bool
        /// Serves the Matrix APIs (client, federation, keys): every `http` listener unless its
        /// `resources` name none of them; never a `type: metrics` listener.
        public var servesMatrix: Bool
        /// Serves Prometheus metrics at `/metrics`: a `type: metrics` listener, or an `http` listener
        /// whose `resources` name `metrics`. Off by default, so metrics are never public by accident.
        public var servesMetrics: Bool

        public init(
            port: Int, bindAddresses: [String] = ["127.0.0.1"], tls: Bool = false, xForwarded: Bool = false,
            servesMatrix: Bool = true, servesMetrics: Bool = false
        ) {
            self.port = port
            self.bindAddresses = bindAddresses
            self.tls = tls
            self.xForwarded = xForwarded
            self.servesMatrix = servesMatrix
            self.servesMetrics = servesMetrics
        }
    }

    /// `database`.
    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        /// `name: psycopg2` (Synapse's name) or `name: postgres`.
        case postgres(PostgresSettings)
    }

    /// `database.args` for PostgreSQL, with Synapse's names and defaults.
    public struct PostgresSettings: Sendable, Equatable {
        /// A host name or address, or a directory holding the server's Unix socket (starts with `/`).
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        /// `dbname`, or `database` as psycopg2 also accepts.
        public var database: String
        /// `cp_min` / `cp_max`: the connections the pool keeps open at least and opens at most.
        public var minimumConnections: Int
        public var maximumConnections: Int

        public init(
            host: String = "localhost", port: Int = 5432, user: String, password: String? = nil, database: String,
            minimumConnections: Int = 5, maximumConnections: Int = 10
        ) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.minimumConnections = minimumConnections
            self.maximumConnections = maximumConnections
        }
    }

    public var serverName: ServerName
    public var listeners: [Listener]
    public var database: Database
    public var signingKeyPath: String
    public var enableRegistration: Bool
    public var enableRegistrationWithoutVerification: Bool
    public var registrationSharedSecret: String?
    /// Largest request body accepted (`max_request_size`, bytes or `"1M"`-style).
    public var maxRequestSize: Int
    /// `rc_login.address`: login attempts per client address.
    public var loginRateLimit: RateLimit
    /// `rc_login.failed_attempts`: wrong passwords per user and per client address, at login and
    /// in user-interactive auth.
    public var failedLoginRateLimit: RateLimit
    /// `rc_registration`: registrations per client address.
    public var registrationRateLimit: RateLimit
    /// `rc_key_claim`: `/keys/claim` requests per user.
    public var keyClaimRateLimit: RateLimit
    /// `rc_federation_key_claim`: federation `/user/keys/claim` requests per origin server.
    /// Keyport's own key: Synapse has no limit for this endpoint alone. The default is Synapse's
    /// for the other per-origin key limit, `rc_key_requests` (20 per second, bursts of 100).
    public var federationKeyClaimRateLimit: RateLimit
    /// `password_config.pbkdf2_rounds`.
    public var passwordRounds: Int
    /// `log_level`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String
    /// `log_format`: `text` (swift-log's stream format) or `json` (one object per line).
    public var logFormat: String = "text"
    /// `tls_certificate_path` / `tls_private_key_path`: PEM files for listeners with `tls: true`.
    public var tlsCertificatePath: String?
    public var tlsPrivateKeyPath: String?
    /// `old_signing_keys`: keys this server used before, published as `old_verify_keys`.
    public var oldSigningKeys: [OldVerifyKey]
    /// `key_refresh_interval`: how far ahead our key response's `valid_until_ts` lies.
    public var keyRefreshInterval: Duration
    /// `federation_verify_certificates` and `federation_custom_ca_list`.
    public var federationVerifyCertificates: Bool
    public var federationCustomCAList: [String]
    /// `ip_range_blacklist` / `ip_range_whitelist`: outbound federation refuses blacklisted
    /// addresses unless whitelisted.
    public var ipRangeBlacklist: [String]
    public var ipRangeWhitelist: [String]
    /// `federation: destination_min_retry_interval, destination_retry_multiplier, destination_max_retry_interval`.
    public var federationRetry: RetrySchedule
    /// `instance_name`: this process's name in logs and leases, when several processes share one
    /// database (optional: a random suffix keeps every process apart anyway).
    public var instanceName: String?
    /// `federation_sender_lease_seconds`: how long a process's hold on a destination (and on the
    /// stale device-list retry loop) lasts unless renewed, so how long a dead process's
    /// destinations wait before another process takes them over.
    public var senderLeaseDuration: Duration = .seconds(30)
    /// `experimental_features: {msc3814_enabled: true}`: serves dehydrated devices (MSC3814) under
    /// the unstable prefix, as Synapse does with the same setting. Off by default.
    public var msc3814Enabled = false
    /// `experimental_features: {msc3983_appservice_otk_claims: true}`: one-time keys of an
    /// application service's exclusive users are asked of the service once the stored ones run out.
    public var msc3983AppServiceOTKClaims = false
    /// `experimental_features: {msc3984_appservice_key_query: true}`: the device and cross-signing
    /// keys of an application service's exclusive users are asked of the service.
    public var msc3984AppServiceKeyQuery = false
    /// `experimental_features: {msc2409_to_device_messages_enabled: true}`: to-device messages for
    /// the users of an application service with `receive_ephemeral` go in its transactions.
    public var msc2409ToDeviceMessagesEnabled = false
    /// `experimental_features: {msc3202_transaction_extensions: true}`: device-list changes,
    /// one-time key counts and unused fallback key types go in the transactions of an application
    /// service registered with `org.matrix.msc3202: true`.
    public var msc3202TransactionExtensions = false
    /// The backoff between failed transactions to an application service: Synapse's, and like
    /// Synapse not configurable in the file (tests shorten it).
    public var appServiceRetry = RetrySchedule.appServices
    /// `app_service_config_files`: the registration files of the application services.
    public var appServiceConfigFiles: [String] = []
    /// The services those files describe, once ``loadApplicationServices()`` has read them.
    public var applicationServices: [ApplicationService] = []

    /// Reads `app_service_config_files` (kept apart from parsing, which touches no file).
    public mutating func loadApplicationServices() throws(ConfigError) {
        applicationServices = try AppServiceRegistrationFile.load(appServiceConfigFiles, serverName: serverName)
    }

    /// The configuration used when `serve` is given no file: `localhost:8008` on 127.0.0.1:8008,
    /// SQLite under `./keyport-data`, open registration (it listens on loopback only).
    public static func development(dataDirectory: String = "keyport-data") -> KeyportConfig {
        KeyportConfig(
            serverName: ServerName("localhost:8008")!,
            listeners: [Listener(port: 8008)],
            database: .sqlite(path: "\(dataDirectory)/keyport.db"),
            signingKeyPath: "\(dataDirectory)/signing.key",
            enableRegistration: true,
            enableRegistrationWithoutVerification: true,
            registrationSharedSecret: nil,
            maxRequestSize: 1024 * 1024,
            loginRateLimit: RateLimit(perSecond: 0.17, burst: 3),
            failedLoginRateLimit: RateLimit(perSecond: 0.17, burst: 3),
            registrationRateLimit: RateLimit(perSecond: 0.17, burst: 3),
            keyClaimRateLimit: RateLimit(perSecond: 10, burst: 50),
            federationKeyClaimRateLimit: RateLimit(perSecond: 20, burst: 100),
            passwordRounds: 600_000,
            logLevel: "info",
            tlsCertificatePath: nil,
            tlsPrivateKeyPath: nil,
            oldSigningKeys: [],
            keyRefreshInterval: .seconds(24 * 3600),
            federationVerifyCertificates: true,
            federationCustomCAList: [],
            ipRangeBlacklist: IPRangeSet.defaultBlacklist,
            ipRangeWhitelist: [],
            federationRetry: RetrySchedule())
    }
}
