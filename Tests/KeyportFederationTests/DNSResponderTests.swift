import KeyportTestSupport
import Testing

@testable import KeyportFederation

/// The test DNS responder's answers on the wire, for the record types DNSClient does not ask for
/// (its SRV answers are read back by DNSClientTests) and for malformed queries.
@Suite struct DNSResponderTests {
    private static let typeA: UInt16 = 1
    private static let typeAAAA: UInt16 = 28

    private static func zone() throws -> DNSZone {
        try DNSZone([
            "host.test": [.a("127.0.0.1"), .aaaa("::1")],
            "_matrix-fed._tcp.host.test": [.srv(SRVRecord(priority: 1, weight: 2, port: 8448, target: "host.test"))],
        ])
    }

    private func ask(_ name: String, type: UInt16) throws -> (response: DNSMessage.Response, bytes: [UInt8]) {
        let query = try #require(DNSMessage.query(id: 0x4242, name: name, type: type))
        let bytes = try #require(try Self.zone().reply(to: query))
        return (try DNSMessage.parse(bytes), bytes)
    }

    @Test func addressRecordsAreAnswered() throws {
        // Names match without case; the answer's owner points at the question as it was sent.
        let a = try ask("HOST.test.", type: Self.typeA)
        #expect(a.response.id == 0x4242 && a.response.isResponse && a.response.rcode == DNSMessage.rcodeNoError)
        #expect(a.response.answers == [DNSMessage.Answer(name: "HOST.test", data: .other)])
        #expect(Array(a.bytes.suffix(6)) == [0, 4, 127, 0, 0, 1])

        let aaaa = try ask("host.test", type: Self.typeAAAA)
        #expect(aaaa.response.answers == [DNSMessage.Answer(name: "host.test", data: .other)])
        #expect(Array(aaaa.bytes.suffix(18)) == [0, 16] + [UInt8](repeating: 0, count: 15) + [1])
    }

    @Test func otherTypesAndNamesGetNoDataAndNXDomain() throws {
        let noData = try ask("host.test", type: DNSMessage.typeSRV)
        #expect(noData.response.rcode == DNSMessage.rcodeNoError && noData.response.answers.isEmpty)
        let srv = try ask("_matrix-fed._tcp.host.test", type: DNSMessage.typeSRV)
        #expect(srv.response.answers.count == 1)
        let missing = try ask("other.test", type: Self.typeA)
        #expect(missing.response.rcode == DNSMessage.rcodeNameError && missing.response.answers.isEmpty)
    }

    @Test func malformedQueriesGetFormErrOrNothing() throws {
        let zone = try Self.zone()
        #expect(zone.reply(to: [0x12, 0x34, 0x01]) == nil)
        let twoQuestions: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]
        let reply = try #require(zone.reply(to: twoQuestions))
        #expect(Array(reply.prefix(4)) == [0x12, 0x34, 0x85, 0x01])
        #expect(throws: DNSZoneError.self) { try DNSZone(["bad.test": [.a("300.1.2.3")]]) }
    }
}
