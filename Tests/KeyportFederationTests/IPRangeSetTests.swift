import KeyportFederation
import Testing

@Suite struct IPRangeSetTests {
    @Test func ipv4Ranges() throws {
        let set = try IPRangeSet(["10.0.0.0/8", "192.168.1.7", "172.16.0.0/12", "10.1.2.3/8"])
        #expect(set.contains("10.0.0.0"))
        #expect(set.contains("10.255.255.255"))
        #expect(!set.contains("11.0.0.0"))
        #expect(set.contains("192.168.1.7"))
        #expect(!set.contains("192.168.1.8"))
        #expect(set.contains("172.31.255.255"))
        #expect(!set.contains("172.32.0.0"))
        #expect(!set.contains("::ffff:11.0.0.1"))
        #expect(!set.contains("not an address"))
        #expect(!set.contains("10.0.0"))
        #expect(!set.contains("10.0.0.256"))
    }

    @Test func ipv6Ranges() throws {
        let set = try IPRangeSet(["2001:db8::/32", "fe80::/10", "::1", "2a00:1450:4001:80b::/64"])
        #expect(set.contains("2001:db8::1"))
        #expect(set.contains("2001:DB8:ffff:0:0:0:0:1"))
        #expect(!set.contains("2001:db9::1"))
        #expect(set.contains("fe80::1%eth0"))
        #expect(set.contains("febf:ffff::1"))
        #expect(!set.contains("fec0::1"))
        #expect(set.contains("::1"))
        #expect(!set.contains("::2"))
        #expect(set.contains("2a00:1450:4001:80b:1234::5"))
        #expect(!set.contains("2a00:1450:4001:80c::5"))
        #expect(!set.contains("10.0.0.1"))
        #expect(!set.contains("2001:db8::1::2"))
        #expect(!set.contains("2001:db8:1:2:3:4:5:6:7"))
    }

    @Test func familiesDoNotMix() throws {
        let everyIPv4 = try IPRangeSet(["0.0.0.0/0"])
        #expect(everyIPv4.contains("203.0.113.9"))
        #expect(!everyIPv4.contains("2001:db8::1"))
        let everyIPv6 = try IPRangeSet(["::/0"])
        #expect(everyIPv6.contains("2001:db8::1"))
        #expect(!everyIPv6.contains("203.0.113.9"))
    }

    @Test func mappedAddressesAreCheckedAsIPv4() throws {
        let set = try IPRangeSet(["127.0.0.0/8"])
        #expect(set.contains("::ffff:127.0.0.1"))
        #expect(set.contains("::ffff:7f00:1"))
        #expect(set.contains("0:0:0:0:0:ffff:127.1.2.3"))
        #expect(!set.contains("::ffff:8.8.8.8"))
        let mappedRange = try IPRangeSet(["::ffff:192.168.0.0/112"])
        #expect(mappedRange.contains("192.168.3.4"))
        #expect(mappedRange.contains("::ffff:192.168.3.4"))
        #expect(!mappedRange.contains("192.169.0.1"))
    }

    @Test func defaultBlacklist() throws {
        let set = try IPRangeSet(IPRangeSet.defaultBlacklist)
        for address in [
            "127.0.0.1", "10.2.3.4", "172.20.0.1", "192.168.0.1", "100.64.0.1", "192.0.0.8", "169.254.1.1",
            "192.88.99.1", "198.19.255.255", "192.0.2.1", "198.51.100.1", "203.0.113.1", "239.255.255.250",
            "::1", "fe80::1", "fd12:3456::1", "2001:db8::1", "ff02::1", "fec0::1", "::ffff:10.0.0.1",
        ] {
            #expect(set.contains(address), "\(address) should be blacklisted")
        }
        for address in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.4.4"] {
            #expect(!set.contains(address), "\(address) should be allowed")
        }
        #expect(IPRangeSet.defaultBlacklist.count == 21)
    }

    /// Synapse's `DEFAULT_IP_RANGE_BLOCKLIST` (synapse/config/server.py) entry for entry, plus the
    /// two addresses Synapse adds to every blacklist (`generate_ip_set(..., ["0.0.0.0", "::"])`).
    @Test func defaultBlacklistIsSynapses() throws {
        let synapse = [
            "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24",
            "169.254.0.0/16", "192.88.99.0/24", "198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
            "224.0.0.0/4", "::1/128", "fe80::/10", "fc00::/7", "2001:db8::/32", "ff00::/8", "fec0::/10",
        ]
        #expect(Set(IPRangeSet.defaultBlacklist) == Set(synapse + ["0.0.0.0/32", "::/128"]))
        let set = try IPRangeSet(IPRangeSet.defaultBlacklist)
        for address in ["0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0"] {
            #expect(set.contains(address), "\(address) reaches this host on Linux and must be blacklisted")
        }
        #expect(!set.contains("0.0.0.1"))
    }

    /// Every IPv6 form Synapse derives from an IPv4 range (compatible, mapped, 6to4), and NAT64.
    @Test func ipv6FormsOfBlockedIPv4AddressesAreBlocked() throws {
        let set = try IPRangeSet(["127.0.0.0/8", "10.0.0.0/8"])
        for address in [
            "::ffff:127.0.0.1", "::ffff:7f00:1", "::127.0.0.1", "::7f00:1", "2002:7f00:1::", "2002:7f00:0001:1:2:3:4:5",
            "2002:a00:1::1", "64:ff9b::127.0.0.1", "64:ff9b::a00:1",
        ] {
            #expect(set.contains(address), "\(address) carries a blocked IPv4 address")
        }
        for address in ["::ffff:8.8.8.8", "::8.8.8.8", "2002:808:808::", "64:ff9b::808:808", "2003:7f00:1::"] {
            #expect(!set.contains(address), "\(address) carries no blocked address")
        }
    }

    /// Only strict dotted decimal is an IPv4 address: a leading zero is octal to `inet_aton`.
    @Test func ipv4TextIsStrict() {
        #expect(IPRangeSet.defaultBlacklist.allSatisfy { !$0.contains("0x") })
        for text in ["012.0.0.1", "127.00.0.1", "127.0.0.01", "0177.0.0.1", "127.1", "2130706433", "0x7f.0.0.1"] {
            #expect(throws: IPRangeSetError.self, "\(text) is not strict dotted decimal") { try IPRangeSet([text]) }
        }
        #expect(throws: Never.self) { try IPRangeSet(["0.0.0.0", "10.0.0.0/8", "255.255.255.255"]) }
    }

    @Test func invalidRangesAreRejected() {
        for cidr in [
            "", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0/8", "256.0.0.0/8", "fe80::/129",
            "gg::/16", "1:2:3:4:5:6:7:8:9/64", "::1::/64", "example.org/24", "10.0.0.0/ 8",
        ] {
            #expect(throws: IPRangeSetError.self, "\"\(cidr)\" should be rejected") { try IPRangeSet([cidr]) }
        }
        do {
            _ = try IPRangeSet(["10.0.0.0/8", "10.0.0.0/40"])
            Issue.record("expected an error")
        } catch let error as IPRangeSetError {
            #expect(error.cidr == "10.0.0.0/40")
            #expect(error.description.contains("10.0.0.0/40"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
