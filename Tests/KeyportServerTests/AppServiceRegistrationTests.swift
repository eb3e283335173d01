import Crypto
import Foundation
import Hummingbird
import KeyportServer
import KeyportServices
import MatrixModel
import Testing

/// Application service registration files (`app_service_config_files`), read as Synapse reads
/// them, and the user IDs their exclusive namespaces reserve.
@Suite struct AppServiceRegistrationTests {
    static let server = ServerName("example.org")!

    /// A registration as mautrix bridges write one.
    static let bridge = """
        id: whatsapp
        url: http://localhost:29318
        as_token: as-secret
        hs_token: hs-secret
        sender_localpart: whatsappbot
        rate_limited: false
        de.sorunome.msc2409.push_ephemeral: true
        org.matrix.msc3202: true
        namespaces:
          users:
            - regex: "@whatsapp_.*:example\\\\.org"
              exclusive: true
            - regex: "@whatsappbot:example\\\\.org"
              exclusive: true
          aliases: []
          rooms:
            - regex: "!portal.*"
              exclusive: false
        """

    static func parse(_ yaml: String) throws(ConfigError) -> ApplicationService {
        try AppServiceRegistrationFile.parse(yaml: yaml, file: "bridge.yaml", serverName: server)
    }

    /// Why a registration is refused, after the file name every message starts with.
    static func refusal(_ yaml: String) -> String? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            let prefix = "application service registration bridge.yaml: "
            #expect(error.message.hasPrefix(prefix), "the message names the file")
            return String(error.message.dropFirst(prefix.count))
        }
    }

    @Test func aBridgeRegistrationIsReadAsSynapseReadsIt() throws {
        let service = try Self.parse(Self.bridge)
        #expect(service.id == "whatsapp")
        #expect(service.url == "http://localhost:29318")
        #expect(service.asToken == "as-secret")
        #expect(service.hsToken == "hs-secret")
        #expect(service.sender == "@whatsappbot:example.org")
        #expect(!service.rateLimited)
        #expect(service.receivesEphemeral, "the unstable MSC2409 name is read")
        #expect(service.receivesDeviceData)
        #expect(service.namespaces[.users]?.count == 2)
        #expect(service.namespaces[.aliases]?.isEmpty == true)
        #expect(service.ownsExclusively(user: "@whatsapp_123:example.org"))
        #expect(!service.ownsExclusively(user: "@alice:example.org"))
        #expect(service.isInterested(inUser: "@whatsappbot:example.org"))
        #expect(service.matching(.rooms, "!portalABC:example.org")?.exclusive == false)
    }

    /// Namespaces match from the start of the ID and need not match all of it (Python's
    /// `re.match`, as Synapse uses): a registration that means one server ends with it or `$`.
    @Test func namespacesMatchFromTheStartOfTheID() throws {
        let namespace = try #require(ApplicationService.Namespace(regex: "@irc_.*:example\\.org", exclusive: true))
        #expect(namespace.matches("@irc_bob:example.org"))
        #expect(namespace.matches("@irc_bob:example.org.evil"), "no implicit end anchor, as in Synapse")
        #expect(!namespace.matches("@x@irc_bob:example.org"), "anchored at the start")
        #expect(!namespace.matches("@IRC_bob:example.org"))
        let anchored = try #require(ApplicationService.Namespace(regex: "@irc_.*:example\\.org$", exclusive: true))
        #expect(!anchored.matches("@irc_bob:example.org.evil"))
    }

    @Test func unusableRegistrationsAreRefusedWithTheReason() {
        func without(_ line: String) -> String {
            Self.bridge.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix(line) }
                .joined(separator: "\n")
        }
        #expect(Self.refusal(without("id:"))?.contains("id is required") == true)
        #expect(Self.refusal(without("as_token:"))?.contains("as_token is required") == true)
        #expect(Self.refusal(without("hs_token:"))?.contains("hs_token is required") == true)
        #expect(Self.refusal(without("sender_localpart:"))?.contains("sender_localpart is required") == true)
        #expect(Self.refusal(without("url:"))?.contains("url is required") == true)
        #expect(
            Self.refusal(Self.bridge.replacingOccurrences(of: "url: http://localhost:29318", with: "url: null")) == nil)
        #expect(
            Self.refusal(Self.bridge.replacingOccurrences(of: "url: http://localhost:29318", with: "url: [1]"))
                == "url must be a string or null")
        #expect(
            Self.refusal(
                Self.bridge.replacingOccurrences(of: "sender_localpart: whatsappbot", with: "sender_localpart: \"a b\"")
            )?
            .contains("not a valid user localpart") == true)
        let noNamespaces = String(Self.bridge[..<Self.bridge.range(of: "namespaces:")!.lowerBound])
        #expect(Self.refusal(noNamespaces)?.contains("namespaces is required") == true)
        #expect(
            Self.refusal(Self.bridge.replacingOccurrences(of: "\"!portal.*\"", with: "\"!portal(\""))
                == "namespaces.rooms[0]: '!portal(' is not a valid regular expression")
        #expect(
            Self.refusal(Self.bridge.replacingOccurrences(of: "exclusive: false", with: "exclusive: maybe"))
                == "namespaces.rooms[0] needs 'exclusive: true' or 'exclusive: false'")
        #expect(
            Self.refusal(Self.bridge.replacingOccurrences(of: "rate_limited: false", with: "rate_limited: 3"))
                == "rate_limited must be true or false")
    }

    /// Two services that cannot be configured together stop start-up, naming both files.
    @Test func conflictingServicesAreRefused() throws {
        let directory = TestServer.temporaryDirectory()
        func write(_ name: String, _ yaml: String) throws -> String {
            let path = "\(directory)/\(name).yaml"
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let first = try write("first", Self.bridge)
        func conflict(_ yaml: String) throws -> String? {
            let second = try write("second", yaml)
            do {
                _ = try AppServiceRegistrationFile.load([first, second], serverName: Self.server)
                return nil
            } catch {
                return error.message
            }
        }
        let other = """
            id: telegram
            url: null
            as_token: other-secret
            hs_token: other-hs
            sender_localpart: telegrambot
            namespaces:
              users:
                - regex: "@telegram_.*"
                  exclusive: true
            """
        #expect(try conflict(other) == nil)
        #expect(
            try conflict(other.replacingOccurrences(of: "id: telegram", with: "id: whatsapp"))
                == "app_service_config_files: \(first) and \(directory)/second.yaml: both have the id 'whatsapp'")
        #expect(
            try conflict(other.replacingOccurrences(of: "other-secret", with: "as-secret"))?.hasSuffix(
                "both use the same as_token") == true)
        #expect(
            try conflict(other.replacingOccurrences(of: "\"@telegram_.*\"", with: "\"@whatsapp_.*:example\\\\.org\""))?
                .hasSuffix("both claim the users matching '@whatsapp_.*:example\\.org' exclusively") == true)
        // Different expressions are refused when some user ID matches both, and only then.
        #expect(
            try conflict(
                other.replacingOccurrences(of: "\"@telegram_.*\"", with: "\"@whatsapp_[0-9]+:example\\\\.org$\""))
                == "app_service_config_files: \(first) and \(directory)/second.yaml: 'whatsapp' and 'telegram' both "
                + "claim users matching '@whatsapp_.*:example\\.org' and '@whatsapp_[0-9]+:example\\.org$' "
                + "exclusively (for example @whatsapp_0:example.org)")
        #expect(try conflict(other.replacingOccurrences(of: "\"@telegram_.*\"", with: "\"@whatsapp_[0-9]+$\"")) == nil)
        #expect(
            try conflict(other.replacingOccurrences(of: "telegrambot", with: "whatsapp_bot"))?.hasSuffix(
                "'whatsapp' claims 'telegram''s sender @whatsapp_bot:example.org exclusively") == true)
        #expect(throws: ConfigError.self) {
            try AppServiceRegistrationFile.load(["\(directory)/missing.yaml"], serverName: Self.server)
        }
    }

    /// A user ID in an exclusive namespace is not for anyone else to register, by any path; one in
    /// a non-exclusive namespace is.
    @Test func exclusiveNamespacesReserveTheirUserIDs() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.registrationSharedSecret = "s3cret"
        config.applicationServices = [
            ApplicationService(
                id: "bridge", url: nil, asToken: "as", hsToken: "hs", sender: "@bridgebot:test.local",
                namespaces: [
                    .users: [
                        try #require(ApplicationService.Namespace(regex: "@bridged\\..*", exclusive: true)),
                        try #require(ApplicationService.Namespace(regex: "@shared\\..*", exclusive: false)),
                    ]
                ])
        ]
        try await TestServer.run(config: config) { client in
            let reserved = try await client.client(
                .post, "/register",
                body: ["username": "bridged.alice", "password": "pw", "auth": ["type": "m.login.dummy"]])
            #expect(reserved.status == 400)
            #expect(reserved.errcode == "M_EXCLUSIVE", "\(reserved.body)")
            let available = try await client.client(.get, "/register/available?username=bridged.alice")
            #expect(available.errcode == "M_EXCLUSIVE")

            let nonce = try #require(
                try await client.request(.get, "/_synapse/admin/v1/register")["nonce"]?.stringValue)
            let message = "\(nonce)\u{0}bridged.bob\u{0}pw\u{0}notadmin"
            let mac = HMAC<Insecure.SHA1>.authenticationCode(
                for: Array(message.utf8), using: SymmetricKey(data: Array("s3cret".utf8))
            ).map { String(format: "%02x", $0) }.joined()
            let admin = try await client.request(
                .post, "/_synapse/admin/v1/register",
                body: [
                    "nonce": .string(nonce), "username": "bridged.bob", "password": "pw", "admin": false,
                    "mac": .string(mac),
                ])
            #expect(admin.errcode == "M_EXCLUSIVE", "\(admin.body)")

            let shared = try await client.register("shared.carol")
            #expect(shared.userID == "@shared.carol:test.local")
            _ = try await client.register("alice")
        }
    }

    /// A service registers its users with `m.login.application_service` and its `as_token`, and
    /// logs them in the same way; nobody else can, and only within its own namespace.
    @Test func aServiceRegistersAndLogsInItsUsers() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        func service(_ id: String) throws -> ApplicationService {
            ApplicationService(
                id: id, url: nil, asToken: "as-\(id)", hsToken: "hs-\(id)", sender: "@\(id)bot:test.local",
                namespaces: [.users: [try #require(ApplicationService.Namespace(regex: "@_\(id)_.*", exclusive: true))]]
            )
        }
        config.applicationServices = [try service("bridge"), try service("other")]
        try await TestServer.run(config: config) { client in
            func register(_ username: String, token: String?, inhibit: Bool = false) async throws -> MatrixClient.Reply
            {
                try await client.client(
                    .post, "/register", token: token,
                    body: [
                        "type": "m.login.application_service", "username": .string(username),
                        "inhibit_login": .bool(inhibit),
                    ])
            }
            let alice = try await register("_bridge_alice", token: "as-bridge")
            #expect(alice.status == 200, "\(alice.body)")
            #expect(alice["user_id"] == "@_bridge_alice:test.local", "not lowercased, '_' allowed for the service")
            let token = try #require(alice["access_token"]?.stringValue)
            #expect(
                try await client.client(.get, "/account/whoami", token: token)["user_id"] == "@_bridge_alice:test.local"
            )
            #expect(try await register("bridgebot", token: "as-bridge").status == 200, "its sender")
            let quiet = try await register("_bridge_quiet", token: "as-bridge", inhibit: true)
            #expect(quiet.status == 200 && quiet["access_token"] == nil)

            let refusals: [(String, String?, Int, String)] = [
                ("_bridge_bob", nil, 400, "M_MISSING_TOKEN"),
                ("_bridge_bob", "nope", 401, "M_UNKNOWN_TOKEN"),
                ("carol", "as-bridge", 400, "M_EXCLUSIVE"),
                ("_other_x", "as-bridge", 400, "M_EXCLUSIVE"),
                ("_bridge_alice", "as-bridge", 400, "M_USER_IN_USE"),
            ]
            for (username, token, status, errcode) in refusals {
                let refused = try await register(username, token: token)
                #expect(refused.status == status, "\(username) with \(token ?? "no token"): \(refused.body)")
                #expect(refused.errcode == errcode, "\(username) with \(token ?? "no token")")
            }
            // An ordinary registration carries no token.
            let withToken = try await client.client(
                .post, "/register", token: token,
                body: ["username": "dave", "password": "pw", "auth": ["type": "m.login.dummy"]])
            #expect(withToken.status == 400, "\(withToken.body)")

            // Logging in: the service for its users; a password does not work for them.
            let flows = try await client.client(.get, "/login")
            #expect(flows["flows"]?.arrayValue?.contains(["type": "m.login.application_service"]) == true)
            func login(_ token: String?) async throws -> MatrixClient.Reply {
                try await client.client(
                    .post, "/login", token: token,
                    body: [
                        "type": "m.login.application_service",
                        "identifier": ["type": "m.id.user", "user": "_bridge_alice"],
                    ])
            }
            let loggedIn = try await login("as-bridge")
            #expect(loggedIn.status == 200, "\(loggedIn.body)")
            #expect(loggedIn["user_id"] == "@_bridge_alice:test.local")
            #expect(try await login("as-other").errcode == "M_EXCLUSIVE")
            #expect(try await login(nil).errcode == "M_MISSING_TOKEN")
            let password = try await client.client(
                .post, "/login",
                body: [
                    "type": "m.login.password",
                    "identifier": ["type": "m.id.user", "user": "@_bridge_alice:test.local"],
                    "password": "",
                ])
            #expect(password.status == 403)
        }
    }
}
