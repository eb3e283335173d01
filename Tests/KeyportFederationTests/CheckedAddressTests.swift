import Testing

@testable import KeyportFederation

/// Which address an outbound connection may go to: every address of a host is checked, a host
/// that is an IPv4 address in disguise is refused, and the address is handed on in canonical text.
@Suite struct CheckedAddressTests {
    private func settings(
        blacklist: [String] = IPRangeSet.defaultBlacklist, whitelist: [String] = [],
        lookup: (@Sendable (String) async throws(FederationError) -> [[UInt8]])? = nil
    ) throws -> FederationClientSettings {
        var settings = FederationClientSettings(
            blacklist: try IPRangeSet(blacklist), whitelist: try IPRangeSet(whitelist))
        if let lookup { settings.lookup = lookup }
        return settings
    }

    private func isBlocked(_ host: String, _ settings: FederationClientSettings) async -> Bool {
        do {
            _ = try await settings.checkedAddress(for: host)
            return false
        } catch {
            if case .blocked = error { return true }
            Issue.record("\(host): expected blocked, got \(error)")
            return false
        }
    }

    @Test func zeroAddressesAreBlockedEvenWithAnEmptyBlacklist() async throws {
        for blacklist in [IPRangeSet.defaultBlacklist, []] {
            let settings = try settings(blacklist: blacklist)
            for host in ["0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0", "::0.0.0.0"] {
                #expect(await isBlocked(host, settings), "\(host) with blacklist \(blacklist)")
            }
        }
        // The whitelist still wins, as in Synapse.
        let whitelisted = try settings(blacklist: [], whitelist: ["0.0.0.0/32"])
        #expect(try await whitelisted.checkedAddress(for: "0.0.0.0") == "0.0.0.0")
    }

    @Test func ipv4InOtherNotationsIsRefused() async throws {
        // Each of these is 127.0.0.1 or 10.0.0.1 to getaddrinfo; none is a DNS name either.
        let open = try settings(blacklist: [])
        for host in [
            "127.1", "0x7f.1", "0x7F.0.0.1", "2130706433", "0177.0.0.1", "012.0.0.1", "127.0.0.1.", "10.1", "0",
            "0x0", "1.2.3.04", "example.123", "example.0x1f",
        ] {
            #expect(await isBlocked(host, open), "\(host) must be refused, not resolved")
        }
        #expect(try await open.checkedAddress(for: "127.0.0.1") == "127.0.0.1")
        #expect(try await open.checkedAddress(for: "2001:DB8:0:0:0:0:0:1") == "2001:db8::1")
    }

    @Test func everyAddressOfANameIsChecked() async throws {
        let mixed = try settings { _ throws(FederationError) in [[93, 184, 216, 34], [127, 0, 0, 1]] }
        #expect(await isBlocked("mixed.example", mixed), "one blocked address refuses the name")
        let mapped = try settings { _ throws(FederationError) in
            [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 0, 0, 1]]
        }
        #expect(await isBlocked("mapped.example", mapped))
        let public6 = try settings { _ throws(FederationError) in
            [[0x26, 0x06, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x11], [1, 1, 1, 1]]
        }
        #expect(try await public6.checkedAddress(for: "ok.example") == "2606:4700::1111")
        let none = try settings { _ throws(FederationError) in [] }
        await #expect(throws: FederationError.self) { try await none.checkedAddress(for: "empty.example") }
    }

    @Test func namesResolvedByTheSystemAreChecked() async throws {
        #expect(await isBlocked("localhost", try settings()), "localhost resolves to loopback")
        #expect(try await settings(blacklist: []).checkedAddress(for: "localhost").isEmpty == false)
    }

    @Test func canonicalText() {
        let cases: [(String, String)] = [
            ("1.2.3.4", "1.2.3.4"), ("0.0.0.0", "0.0.0.0"), ("::", "::"), ("::1", "::1"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"), ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("::ffff:127.0.0.1", "::ffff:7f00:1"), ("fe80::1:0:0", "fe80::1:0:0"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ]
        for (input, expected) in cases {
            let bytes = IPAddressText.bytes(input)
            #expect(bytes.map(IPAddressText.text) == expected, "\(input)")
            #expect(IPAddressText.bytes(expected) == bytes, "\(expected) reads back as \(input)")
        }
    }
}
