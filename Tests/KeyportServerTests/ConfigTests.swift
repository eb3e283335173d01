import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// Reading the YAML configuration.
@Suite struct ConfigTests {
    @Test func readsSynapseStyleKeys() throws {
        let yaml = """
            server_name: example.org
            listeners:
              - port: 8448
                bind_addresses: ['0.0.0.0']
                type: http
            database:
              name: sqlite3
              args:
                database: /var/lib/keyport/db.sqlite
            signing_key_path: /etc/keyport/signing.key
            enable_registration: true
            enable_registration_without_verification: true
            registration_shared_secret: xyz
            max_request_size: 2M
            rc_login: {per_second: 1.5, burst_count: 7}
            rc_key_claim: {per_second: 100, burst_count: 200}
            password_config: {pbkdf2_rounds: 1000}
            """
        let (config, warnings) = try KeyportConfig.parse(yaml: yaml)
        #expect(warnings.isEmpty)
        #expect(config.serverName.rawValue == "example.org")
        #expect(config.listeners == [.init(port: 8448, bindAddresses: ["0.0.0.0"])])
        #expect(config.database == .sqlite(path: "/var/lib/keyport/db.sqlite"))
        #expect(config.signingKeyPath == "/etc/keyport/signing.key")
        #expect(config.enableRegistration)
        #expect(config.registrationSharedSecret == "xyz")
        #expect(config.maxRequestSize == 2 * 1024 * 1024)
        #expect(config.loginRateLimit == RateLimit(perSecond: 1.5, burst: 7))
        #expect(config.keyClaimRateLimit == RateLimit(perSecond: 100, burst: 200))
        #expect(config.passwordRounds == 1000)
    }

    @Test func synapseShapedLoginLimitsAndForwardedListeners() throws {
        let yaml = """
            server_name: example.org
            listeners:
              - {port: 8008, x_forwarded: true}
              - {port: 8009}
            rc_login:
              address: {per_second: 2, burst_count: 4}
              account: {per_second: 1, burst_count: 2}
              failed_attempts: {per_second: 0.5, burst_count: 5}
            """
        let (config, warnings) = try KeyportConfig.parse(yaml: yaml)
        #expect(warnings.isEmpty)
        #expect(config.listeners.map(\.xForwarded) == [true, false])
        #expect(config.loginRateLimit == RateLimit(perSecond: 2, burst: 4))
        #expect(config.failedLoginRateLimit == RateLimit(perSecond: 0.5, burst: 5))
    }

    @Test func metricsListenersInSynapseShapes() throws {
        let yaml = """
            server_name: example.org
            listeners:
              - {port: 8008}
              - {port: 9000, type: metrics, bind_addresses: ['127.0.0.1']}
              - port: 8010
                resources: [{names: [client, federation]}, {names: [metrics]}]
              - port: 8011
                resources: [{names: [metrics]}]
            """
        let (config, warnings) = try KeyportConfig.parse(yaml: yaml)
        #expect(warnings.isEmpty)
        #expect(config.listeners.map(\.servesMatrix) == [true, false, true, false])
        #expect(config.listeners.map(\.servesMetrics) == [false, true, true, true])
        #expect(config.logFormat == "text")
        #expect(try KeyportConfig.parse(yaml: "server_name: a.example\nlog_format: json").0.logFormat == "json")
    }

    @Test func scaleOutKeys() throws {
        let (config, warnings) = try KeyportConfig.parse(
            yaml: "server_name: a.example\ninstance_name: worker-2\nfederation_sender_lease_seconds: 7.5\n")
        #expect(warnings.isEmpty)
        #expect(config.instanceName == "worker-2")
        #expect(config.senderLeaseDuration == .milliseconds(7_500))
        let (defaults, _) = try KeyportConfig.parse(yaml: "server_name: a.example\n")
        #expect(defaults.instanceName == nil)
        #expect(defaults.senderLeaseDuration == .seconds(30))
    }

    @Test func experimentalFeatures() throws {
        let (off, offWarnings) = try KeyportConfig.parse(yaml: "server_name: a.example\n")
        #expect(!off.msc3814Enabled)
        #expect(offWarnings.isEmpty)
        let (on, warnings) = try KeyportConfig.parse(
            yaml: "server_name: a.example\nexperimental_features:\n  msc3814_enabled: true\n  msc3266_enabled: true\n")
        #expect(on.msc3814Enabled)
        #expect(warnings == ["unknown experimental feature 'experimental_features.msc3266_enabled' ignored"])
        #expect(throws: ConfigError.self) {
            try KeyportConfig.parse(yaml: "server_name: a.example\nexperimental_features:\n  msc3814_enabled: 1\n")
        }
    }

    @Test func unknownKeysAreWarnings() throws {
        let (_, warnings) = try KeyportConfig.parse(yaml: "server_name: a.example\nfrobnicate: true\n")
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("frobnicate") == true)
    }

    @Test(arguments: [
        "",
        "just a string",
        "listeners: []",
        "server_name: 'not a server name!'",
        "server_name: a.example\nlisteners: [{port: 99999}]",
        "server_name: a.example\nlisteners: nope",
        "server_name: a.example\ndatabase: {name: oracle}",
        "server_name: a.example\nenable_registration: yes please",
        "server_name: a.example\nenable_registration: true",
        "server_name: a.example\nmax_request_size: lots",
        "server_name: a.example\nrc_login: {per_second: -1}",
        "server_name: a.example\nrc_login: {failed_attempts: {burst_count: 0}}",
        // Keys that are not strings: Yams.load trapped on these (found by the config fuzz target).
        "server_name: a.example\n? [a, b]\n: 1",
        "server_name: a.example\nlisteners: [{{port: 1}: 8008}]",
        "server_name: a.example\nlog_level: loud",
        "server_name: a.example\nlog_format: xml",
        "server_name: a.example\ninstance_name: 'two words'",
        "server_name: a.example\ninstance_name: ''",
        "server_name: a.example\nfederation_sender_lease_seconds: 1",
        "server_name: a.example\nfederation_sender_lease_seconds: soon",
        "server_name: a.example\nlisteners: [{port: 1, type: replication}]",
        "server_name: a.example\nlisteners: [{port: 1, resources: [{names: [media_repo_only]}]}]",
        "server_name: a.example\nlisteners: [{port: 1, resources: [{names: metrics}]}]",
        "server_name: [unclosed",
        // Once an overflow trap: a size or a duration whose unit multiplies it past Int64.
        "server_name: a.example\nmax_request_size: 99999999999G",
        "server_name: a.example\nkey_refresh_interval: 999999999999y",
        "server_name: a.example\nfederation: {destination_max_retry_interval: 9223372036854775807s}",
    ])
    func invalidConfigurationsAreErrors(yaml: String) {
        #expect(throws: ConfigError.self) { try KeyportConfig.parse(yaml: yaml) }
    }

    @Test func generatedConfigLoadsWithoutWarnings() throws {
        let (config, warnings) = try KeyportConfig.parse(yaml: KeyportConfig.generateYAML(serverName: "matrix.example"))
        #expect(warnings.isEmpty)
        #expect(config.serverName.rawValue == "matrix.example")
        #expect(!config.enableRegistration)
        #expect((config.registrationSharedSecret?.count ?? 0) >= 32)
    }
}

/// `database` for PostgreSQL, in Synapse's shape.
@Suite struct PostgresConfigTests {
    @Test(arguments: ["psycopg2", "postgres"])
    func readsSynapsePostgresArgs(name: String) throws {
        let yaml = """
            server_name: example.org
            database:
              name: \(name)
              args:
                user: synapse_user
                password: secretpassword
                dbname: synapse
                host: db.internal
                port: 6432
                cp_min: 2
                cp_max: 20
            """
        let (config, warnings) = try KeyportConfig.parse(yaml: yaml)
        #expect(warnings.isEmpty)
        #expect(
            config.database
                == .postgres(
                    .init(
                        host: "db.internal", port: 6432, user: "synapse_user", password: "secretpassword",
                        database: "synapse", minimumConnections: 2, maximumConnections: 20)))
    }

    @Test func defaultsAreSynapses() throws {
        let yaml = "server_name: example.org\ndatabase: {name: psycopg2, args: {user: keyport, database: keyport}}"
        let (config, _) = try KeyportConfig.parse(yaml: yaml)
        #expect(
            config.database
                == .postgres(
                    .init(
                        host: "localhost", port: 5432, user: "keyport", password: nil, database: "keyport",
                        minimumConnections: 5, maximumConnections: 10)))
    }

    @Test func aSocketDirectoryIsAHost() throws {
        let yaml =
            "server_name: example.org\ndatabase: {name: postgres, args: {user: k, dbname: k, host: /run/postgresql}}"
        let (config, _) = try KeyportConfig.parse(yaml: yaml)
        guard case .postgres(let settings) = config.database else {
            Issue.record("not postgres")
            return
        }
        #expect(settings.host == "/run/postgresql")
    }

    @Test func sqliteStaysTheDefault() throws {
        let (config, _) = try KeyportConfig.parse(yaml: "server_name: example.org")
        #expect(config.database == .sqlite(path: "keyport-data/keyport.db"))
    }

    @Test(arguments: [
        ("{name: psycopg2}", "database.args is required"),
        ("{name: psycopg2, args: {user: k}}", "dbname (or database) is required"),
        ("{name: psycopg2, args: {dbname: k}}", "user is required"),
        ("{name: psycopg2, args: {user: k, dbname: a, database: b}}", "name different databases"),
        ("{name: psycopg2, args: {user: k, dbname: k, port: 70000}}", "port must be 1 to 65535"),
        ("{name: psycopg2, args: {user: k, dbname: k, port: many}}", "port must be an integer"),
        ("{name: psycopg2, args: {user: k, dbname: k, cp_min: 9, cp_max: 3}}", "cp_min must not be more than cp_max"),
        ("{name: psycopg2, args: {user: k, dbname: k, cp_max: 0}}", "cp_max must be at least 1"),
        ("{name: psycopg2, args: [user]}", "database.args must be a mapping"),
        ("{name: mysql}", "use sqlite3, psycopg2 or postgres"),
    ])
    func clearErrors(database: String, message: String) {
        let error = #expect(throws: ConfigError.self) {
            try KeyportConfig.parse(yaml: "server_name: example.org\ndatabase: \(database)")
        }
        #expect(error.map { "\($0)".contains(message) } == true, "\(String(describing: error))")
    }
}
