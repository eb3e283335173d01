import Testing

@testable import KeyportFederation

/// The DNS wire format on hand-built messages, including compression pointers, CNAME chains,
/// truncation and hostile input.
@Suite struct DNSMessageTests {
    /// Labels as they appear on the wire, optionally ending in a compression pointer instead of the root.
    private func name(_ labels: [String], pointer: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in labels { bytes += [UInt8(label.utf8.count)] + Array(label.utf8) }
        if let pointer { return bytes + [0xC0 | UInt8(pointer >> 8), UInt8(pointer & 0xFF)] }
        return bytes + [0]
    }

    private func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    private func header(id: Int = 0x1234, flags: Int = 0x8180, answers: Int) -> [UInt8] {
        u16(id) + u16(flags) + u16(1) + u16(answers) + u16(0) + u16(0)
    }

    private func question(_ labels: [String]) -> [UInt8] {
        name(labels) + u16(33) + u16(1)
    }

    private func record(owner: [UInt8], type: Int, data: [UInt8]) -> [UInt8] {
        owner + u16(type) + u16(1) + [0, 0, 0x0E, 0x10] + u16(data.count) + data
    }

    private func srvData(_ priority: Int, _ weight: Int, _ port: Int, target: [UInt8]) -> [UInt8] {
        u16(priority) + u16(weight) + u16(port) + target
    }

    @Test func queryEncoding() throws {
        let bytes = try #require(DNSMessage.query(id: 0xBEEF, name: "_matrix-fed._tcp.example.org.", type: 33))
        #expect(
            bytes == [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
                + question(["_matrix-fed", "_tcp", "example", "org"]))
        #expect(DNSMessage.query(id: 1, name: "a..b", type: 33) == nil)
        #expect(DNSMessage.query(id: 1, name: "", type: 33) == nil)
        #expect(DNSMessage.query(id: 1, name: String(repeating: "a", count: 64) + ".org", type: 33) == nil)
        #expect(
            DNSMessage.query(id: 1, name: Array(repeating: "abcdefghij", count: 30).joined(separator: "."), type: 33)
                == nil)
    }

    @Test func compressedNamesAreFollowed() throws {
        // The question starts at offset 12; "example" is at 12 + 12 + 5 = 29.
        var message = header(answers: 2) + question(["_matrix-fed", "_tcp", "example", "test"])
        message += record(
            owner: name([], pointer: 12), type: 33, data: srvData(10, 5, 8449, target: name(["target"], pointer: 29)))
        message += record(
            owner: name([], pointer: 12), type: 33, data: srvData(20, 0, 8450, target: name(["b", "example", "test"])))
        let response = try DNSMessage.parse(message)
        #expect(response.id == 0x1234 && response.isResponse && !response.truncated && response.rcode == 0)
        #expect(response.questionName == "_matrix-fed._tcp.example.test")
        #expect(
            response.srvRecords(for: "_matrix-fed._tcp.EXAMPLE.test.") == [
                SRVRecord(priority: 10, weight: 5, port: 8449, target: "target.example.test"),
                SRVRecord(priority: 20, weight: 0, port: 8450, target: "b.example.test"),
            ])
    }

    @Test func cnameChainsAreFollowedAndStrangersIgnored() throws {
        var message = header(answers: 4) + question(["_matrix-fed", "_tcp", "alias", "test"])
        let real = name(["_matrix-fed", "_tcp", "real", "test"])
        message += record(owner: name([], pointer: 12), type: 5, data: real)
        message += record(owner: real, type: 33, data: srvData(1, 1, 443, target: name(["host", "real", "test"])))
        message += record(
            owner: name(["other", "test"]), type: 33, data: srvData(1, 1, 1, target: name(["evil", "test"])))
        message += record(owner: real, type: 33, data: srvData(0, 0, 0, target: name([])))
        let response = try DNSMessage.parse(message)
        #expect(
            response.srvRecords(for: "_matrix-fed._tcp.alias.test") == [
                SRVRecord(priority: 1, weight: 1, port: 443, target: "host.real.test")
            ])
    }

    @Test func truncatedMessagesKeepTheAnswersThatFit() throws {
        var message = header(flags: 0x8380, answers: 3) + question(["_matrix", "_tcp", "t"])
        message += record(owner: name([], pointer: 12), type: 33, data: srvData(1, 2, 3, target: name(["a", "t"])))
        message += Array(
            record(owner: name([], pointer: 12), type: 33, data: srvData(1, 2, 4, target: name(["b", "t"]))).prefix(9))
        let response = try DNSMessage.parse(message)
        #expect(response.truncated)
        #expect(
            response.srvRecords(for: "_matrix._tcp.t") == [SRVRecord(priority: 1, weight: 2, port: 3, target: "a.t")])

        var cut = header(answers: 1) + question(["_matrix", "_tcp", "t"])
        cut += Array(
            record(owner: name([], pointer: 12), type: 33, data: srvData(1, 2, 4, target: name(["b"]))).prefix(9))
        #expect(throws: DNSMessage.MalformedMessage.self) { try DNSMessage.parse(cut) }
    }

    @Test func hostileInputIsRejected() {
        let base = header(answers: 1) + question(["_matrix", "_tcp", "t"])
        // A pointer to itself, and one pointing forwards.
        let selfPointer = base.count
        let loop = base + record(owner: name([], pointer: selfPointer), type: 33, data: [])
        #expect(throws: DNSMessage.MalformedMessage.self) { try DNSMessage.parse(loop) }
        let forward = base + record(owner: name([], pointer: selfPointer + 2), type: 33, data: [])
        #expect(throws: DNSMessage.MalformedMessage.self) { try DNSMessage.parse(forward) }
        // Record data longer than the message, a label with a dot in it, and reserved label types.
        let overlong = base + name([], pointer: 12) + u16(33) + u16(1) + [0, 0, 0, 0] + u16(200) + [0, 1]
        #expect(throws: DNSMessage.MalformedMessage.self) { try DNSMessage.parse(overlong) }
        let dotted = base + record(owner: name(["a.b"]), type: 33, data: srvData(0, 0, 1, target: name(["x"])))
        #expect(throws: DNSMessage.MalformedMessage.self) { try DNSMessage.parse(dotted) }
        let reserved = base + [0x40, 1] + u16(33) + u16(1) + [0, 0, 0, 0] + u16(0)
        #expect(throws: DNSMessage.MalformedMessage.self) { try DNSMessage.parse(reserved) }
        #expect(throws: DNSMessage.MalformedMessage.self) { try DNSMessage.parse(Array(base.prefix(11))) }
    }

    @Test func resolvConfNameservers() {
        let text = """
            # generated
            search example.org
            nameserver 192.0.2.53 ; primary
            nameserver   2001:db8::53
            nameserver not-an-address
            #nameserver 10.0.0.1
            options ndots:1
            nameserver 10.0.0.2
            nameserver 10.0.0.3
            """
        #expect(DNSClient.nameservers(inResolvConf: text) == ["192.0.2.53", "2001:db8::53", "10.0.0.2"])
        #expect(DNSClient.nameservers(inResolvConf: "").isEmpty)
    }
}
