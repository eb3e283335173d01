import KeyportStore
import MatrixModel
import Testing

@testable import KeyportFederation

/// The value a `PUT /send` is made of: how it halves, what its body holds, what a 200 answer says
/// about its PDUs.
struct OutboundTransactionTests {
    static func pdus(_ numbers: Range<Int>) -> [QueuedPDU] {
        numbers.map {
            QueuedPDU(
                id: Int64($0), destination: "d.example", eventID: "$p\($0)", pdu: ["type": "m.x", "n": .int(Int64($0))])
        }
    }

    static func edus(_ numbers: Range<Int>) -> [QueuedEDU] {
        numbers.map {
            QueuedEDU(id: Int64(100 + $0), destination: "d.example", type: "m.test", content: ["n": .int(Int64($0))])
        }
    }

    /// `(PDU ids, EDU ids)` of a transaction.
    static func ids(_ transaction: OutboundTransaction) -> [[Int64]] {
        [transaction.pdus.map(\.id), transaction.edus.map(\.id)]
    }

    @Test func halvesKeepPDUsBeforeEDUsAndEachKindInOrder() {
        let mixed = OutboundTransaction(pdus: Self.pdus(0..<3), edus: Self.edus(0..<5))
        let (first, second) = mixed.halves()
        #expect(Self.ids(first) == [[0, 1, 2], [100]])
        #expect(Self.ids(second) == [[], [101, 102, 103, 104]])

        let mostlyPDUs = OutboundTransaction(pdus: Self.pdus(0..<5), edus: Self.edus(0..<1))
        let (left, right) = mostlyPDUs.halves()
        #expect(Self.ids(left) == [[0, 1, 2], []])
        #expect(Self.ids(right) == [[3, 4], [100]])
        let (a, b) = right.halves()
        #expect(Self.ids(a) == [[3], []])
        #expect(Self.ids(b) == [[4], [100]])
        #expect(left.count + right.count == mostlyPDUs.count)
    }

    @Test func theBodyCarriesEachPDUAsStored() {
        let stored: JSONObject = ["type": "m.x", "unsigned": ["age_ts": 1], "e\u{301}": 1, "\u{e9}": 2]
        let transaction = OutboundTransaction(
            pdus: [QueuedPDU(id: 1, destination: "d.example", eventID: "$a", pdu: stored)], edus: Self.edus(0..<1))
        let body = transaction.body(origin: "origin.test", now: 42)
        #expect(body["pdus"] == [.object(stored)])
        #expect(body["edus"] == [["edu_type": "m.test", "content": ["n": 0]]])
        #expect(body["origin"] == "origin.test" && body["origin_server_ts"] == 42)
    }

    @Test func aRefusedPDUIsOneWithAnError() {
        let answer: JSONObject = [
            "pdus": ["$ok": [:], "$bad": ["error": "Signature check failed"], "$odd": ["error": ["code": 1]]]
        ]
        let refused = OutboundTransaction.refusedPDUs(in: answer)
        #expect(refused.map(\.eventID) == ["$bad", "$odd"])
        #expect(refused.first?.error == "Signature check failed")
        #expect(OutboundTransaction.refusedPDUs(in: [:]).isEmpty)
        #expect(OutboundTransaction.refusedPDUs(in: ["pdus": []]).isEmpty)
    }
}
