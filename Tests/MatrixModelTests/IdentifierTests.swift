import MatrixModel
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test(
        "valid user IDs split into localpart and server name",
        arguments: [
            ("@alice:example.com", "alice", "example.com"),
            ("@Bob_X=1/+:matrix.org:8448", "Bob_X=1/+", "matrix.org:8448"),
            ("@a:1.2.3.4", "a", "1.2.3.4"),
            ("@a:[::1]:8448", "a", "[::1]:8448"),
            ("@!#$%&'*~:localhost", "!#$%&'*~", "localhost"),
        ])
    func validUserIDs(raw: String, localpart: String, server: String) throws {
        let userID = try #require(UserID(raw))
        #expect(userID.localpart == localpart)
        #expect(userID.serverName.rawValue == server)
        #expect(userID.rawValue == raw)
        #expect(userID.description == raw)
    }

    @Test(
        "invalid user IDs are refused",
        arguments: [
            "", "alice:example.com", "@alice", "@:example.com", "@alice:", "@al ice:example.com",
            "@alicé:example.com", "@alice:exa mple.com", "@alice:example.com:", "@alice:example.com:99999",
            "@ali\u{7F}ce:example.com", "#room:example.com",
        ])
    func invalidUserIDs(raw: String) {
        #expect(UserID(raw) == nil)
    }

    @Test("user IDs are limited to 255 bytes")
    func userIDLength() throws {
        let server = "example.com"
        let fits = "@" + String(repeating: "a", count: 255 - 2 - server.utf8.count) + ":" + server
        #expect(fits.utf8.count == 255)
        #expect(UserID(fits) != nil)
        #expect(UserID("@a" + fits.dropFirst()) == nil)
        #expect(UserID.maxLength == 255)
    }

    @Test("UserID(localpart:serverName:) builds the same ID")
    func fromParts() throws {
        let server = try #require(ServerName("example.com"))
        #expect(UserID(localpart: "bob", serverName: server) == UserID("@bob:example.com"))
        #expect(UserID(localpart: "", serverName: server) == nil)
        #expect(UserID(localpart: "b:b", serverName: server) == nil)  // "b:example.com" is no server name
    }

    @Test("user IDs order by raw value")
    func ordering() throws {
        let a = try #require(UserID("@a:x"))
        let b = try #require(UserID("@b:x"))
        #expect(a < b)
        #expect(!(b < a))
    }

    @Test("new localparts use only a-z 0-9 . _ = - / +")
    func newLocalparts() {
        for good in ["alice", "a.b_c=d-e/f+g", "0", "user123"] {
            #expect(UserID.isValidNewLocalpart(good), "\(good)")
        }
        for bad in ["", "Alice", "a b", "a:b", "a@b", "é", "a!", "a#b", "A"] {
            #expect(!UserID.isValidNewLocalpart(bad), "\(bad)")
        }
    }

    @Test(
        "valid server names",
        arguments: [
            "example.com", "localhost", "example.com:8448", "1.2.3.4", "1.2.3.4:443", "[::1]",
            "[1234:5678::abcd]:65535", "a-b.c", "x:1",
        ])
    func validServerNames(raw: String) {
        #expect(ServerName(raw)?.rawValue == raw)
    }

    @Test(
        "invalid server names",
        arguments: [
            "", "exa mple.com", "example.com:", "example.com:65536", "example.com:123456", "example.com:80a",
            "[::1", "[]", "[::1]:", "[::1]x", "[::g]", "exam_ple.com", "exämple.com", ":8448", "a:b:c",
        ])
    func invalidServerNames(raw: String) {
        #expect(ServerName(raw) == nil)
    }

    /// Found by the server-name fuzz target (`Tests/FuzzCorpora/server-name/crash-fullwidth-digit-in-ipv6-literal`):
    /// `Character.isHexDigit` is also true of fullwidth digits and letters, so `[::ff１.0..1]:48` was
    /// accepted, and the resolver then used the non-ASCII text as an address.
    @Test(
        "IPv6 literals are ASCII hex digits, colons and dots",
        arguments: ["[::ff\u{FF11}.0..1]:48", "[\u{FF21}::1]", "[::\u{FF41}]", "[::\u{0661}]"])
    func nonASCIIHexDigitsAreNoIPv6Literal(raw: String) {
        #expect(ServerName(raw) == nil)
    }

    @Test("server names are limited to 255 bytes")
    func serverNameLength() {
        #expect(ServerName(String(repeating: "a", count: 255)) != nil)
        #expect(ServerName(String(repeating: "a", count: 256)) == nil)
    }

    @Test("key IDs split at the first colon")
    func keyIDs() throws {
        let key = try #require(KeyID("ed25519:abc:def"))
        #expect(key.algorithm == "ed25519")
        #expect(key.name == "abc:def")
        #expect(key.rawValue == "ed25519:abc:def")
        #expect(KeyID(algorithm: "signed_curve25519", name: "AAAAHg").description == "signed_curve25519:AAAAHg")
        for bad in ["", "ed25519", "ed25519:", ":abc", ":"] {
            #expect(KeyID(bad) == nil, "\(bad)")
        }
    }

    @Test("key IDs are limited to 255 bytes")
    func keyIDLength() {
        let name254 = String(repeating: "k", count: 254 - "ed25519".count)
        #expect(KeyID("ed25519:" + name254) != nil)
        #expect(KeyID("ed25519:" + name254 + "k") == nil)
    }

    @Test("device IDs: non-empty printable text up to 255 bytes")
    func deviceIDs() {
        #expect(IdentifierLimits.isValidDeviceID("JLAFKJWSCS"))
        #expect(IdentifierLimits.isValidDeviceID("dévice 1"))
        #expect(IdentifierLimits.isValidDeviceID(String(repeating: "D", count: 255)))
        #expect(!IdentifierLimits.isValidDeviceID(String(repeating: "D", count: 256)))
        #expect(!IdentifierLimits.isValidDeviceID(""))
        #expect(!IdentifierLimits.isValidDeviceID("a\nb"))
        #expect(!IdentifierLimits.isValidDeviceID("a\u{7F}"))
    }
}
