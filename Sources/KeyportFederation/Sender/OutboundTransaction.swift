import KeyportStore
import MatrixModel

/// What one `PUT /send` to a destination carries: queued PDUs and EDUs of that destination, each
/// kind in queue order. A pure value: the sender reads the queues into it, halves it when the
/// destination refuses it for its content, and deletes what it carried after a 200.
struct OutboundTransaction: Sendable, Equatable {
    /// The spec's limits for one transaction.
    static let maxPDUs = 50
    static let maxEDUs = 100

    /// Each with its stored PDU (entries whose event is gone are dropped before, not sent).
    var pdus: ArraySlice<QueuedPDU>
    var edus: ArraySlice<QueuedEDU>

    init(pdus: some Collection<QueuedPDU>, edus: some Collection<QueuedEDU>) {
        self.pdus = ArraySlice(pdus)
        self.edus = ArraySlice(edus)
    }

    var count: Int { pdus.count + edus.count }
    var isEmpty: Bool { pdus.isEmpty && edus.isEmpty }

    /// The first and second half, PDUs before EDUs, so sending the halves in turn keeps each
    /// kind's order. Only for a transaction of two or more.
    func halves() -> (first: OutboundTransaction, second: OutboundTransaction) {
        precondition(count > 1, "a transaction of one cannot be halved")
        let middle = count / 2
        if middle <= pdus.count {
            let cut = pdus.startIndex + middle
            return (
                OutboundTransaction(pdus: pdus[..<cut], edus: []), OutboundTransaction(pdus: pdus[cut...], edus: edus)
            )
        }
        let cut = edus.startIndex + (middle - pdus.count)
        return (OutboundTransaction(pdus: pdus, edus: edus[..<cut]), OutboundTransaction(pdus: [], edus: edus[cut...]))
    }

    /// The body of the `PUT /send`: each PDU as the object stored with its event, unchanged (its
    /// hashes and signatures cover it; rooms v4 and later carry no `event_id`), each EDU as
    /// `{edu_type, content}`.
    func body(origin: String, now: Int64) -> JSONObject {
        [
            "origin": .string(origin), "origin_server_ts": .int(now),
            "pdus": .array(pdus.compactMap { $0.pdu.map(JSONValue.object) }),
            "edus": .array(edus.map { .object(["edu_type": .string($0.type), "content": .object($0.content)]) }),
        ]
    }

    /// The PDUs a 200 answer says the destination did not accept, with its reason, by event ID:
    /// the `pdus` map's entries that carry an `error`. A refused PDU is not sent again.
    static func refusedPDUs(in answer: JSONObject) -> [(eventID: String, error: String)] {
        guard let results = answer["pdus"]?.objectValue else { return [] }
        return results.sortedMembers().compactMap { eventID, result in
            guard let error = result["error"] else { return nil }
            return (eventID, error.stringValue ?? error.encodedString())
        }
    }
}
