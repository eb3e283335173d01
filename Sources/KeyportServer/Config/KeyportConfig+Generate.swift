import KeyportServices
import MatrixModel

extension KeyportConfig {
    /// A starting configuration file for `generate-config --server-name NAME`.
    public static func generateYAML(serverName: String) -> String {
        """
        # Keyport configuration. Keys follow Synapse's names where Synapse has the setting.
        server_name: "\(serverName)"

        listeners:
          - port: 8008
            bind_addresses: ["127.0.0.1"]
            type: http
            tls: false

        # SQLite for one process. For several processes on one PostgreSQL database, Synapse's shape:
        # database: {name: psycopg2, args: {user: keyport, password: ..., dbname: keyport,
        #            host: localhost, port: 5432, cp_min: 5, cp_max: 10}}
        database:
          name: sqlite3
          args:
            database: keyport-data/keyport.db

        signing_key_path: keyport-data/signing.key

        # Open registration with no verification (m.login.dummy). Off by default.
        enable_registration: false
        enable_registration_without_verification: false

        # Shared secret for /_synapse/admin/v1/register (register_new_matrix_user).
        registration_shared_secret: "\(SecureTokens.random(length: 40))"

        # Largest request body accepted.
        max_request_size: 1M

        # Rate limits: sustained actions per second and burst size.
        rc_login: {per_second: 0.17, burst_count: 3}
        rc_registration: {per_second: 0.17, burst_count: 3}
        rc_key_claim: {per_second: 10, burst_count: 50}
        # Federation /user/keys/claim requests per origin server (Keyport's own setting).
        rc_federation_key_claim: {per_second: 20, burst_count: 100}

        password_config:
          pbkdf2_rounds: 600000

        log_level: info

        """
    }
}
