import MatrixModel
import MatrixRooms
import Testing

/// Parsing PDUs: the fields, the limits Synapse enforces, and IDs that are never put on the wire.
@Suite("PDU format")
struct PDUFormatTests {
    func base(_ changes: (inout JSONObject) -> Void = { _ in }) -> JSONObject {
        var object: JSONObject = [
            "type": "m.room.message", "sender": "@a:a.test", "room_id": "!r:a.test", "content": ["body": "hi"],
            "origin_server_ts": 5, "depth": 3, "prev_events": ["$p"], "auth_events": ["$a"],
            "hashes": ["sha256": "x"], "signatures": ["a.test": ["ed25519:k": "s"]],
        ]
        changes(&object)
        return object
    }

    func parses(_ object: JSONObject, _ version: RoomVersion = .v11) -> Bool {
        (try? PDU(parsing: object, roomVersion: version)) != nil
    }

    @Test("A well-formed PDU parses and its ID is the URL-safe reference hash")
    func wellFormed() throws {
        let pdu = try PDU(parsing: base(), roomVersion: .v11)
        #expect(pdu.eventID.hasPrefix("$") && pdu.eventID.count == 44)
        #expect(!pdu.eventID.contains("+") && !pdu.eventID.contains("/"))
        #expect(pdu.object["event_id"] == nil)
        #expect(pdu.eventID == (try EventHashes.eventID(of: base(), version: .v11)))
    }

    @Test("Missing or mistyped required fields are refused")
    func requiredFields() {
        for key in [
            "type", "sender", "room_id", "content", "origin_server_ts", "depth", "prev_events", "auth_events", "hashes",
            "signatures",
        ] {
            #expect(!parses(base { $0[key] = nil }), "without \(key)")
            #expect(!parses(base { $0[key] = true }), "\(key) as a bool")
        }
        #expect(!parses(base { $0["state_key"] = 5 }))
        #expect(!parses(base { $0["sender"] = "alice" }))
        #expect(!parses(base { $0["prev_events"] = [5] }))
        #expect(!parses(base { $0["signatures"] = ["a.test": "s"] }))
        #expect(!parses(base { $0["unsigned"] = "u" }))
        #expect(!parses(base { $0["content"]?["f"] = .double(1.5) }))
    }

    @Test("Limits: 65,536 bytes, 255-byte fields, 20 prev_events, 10 auth_events, depth ≤ 2^53−1")
    func limits() {
        #expect(parses(base { $0["content"]?["pad"] = .string(String(repeating: "x", count: 64_000)) }))
        #expect(!parses(base { $0["content"]?["pad"] = .string(String(repeating: "x", count: 65_536)) }))
        // The limit counts signatures too.
        #expect(
            !parses(base { $0["signatures"]?["a.test"]?["ed25519:k"] = .string(String(repeating: "s", count: 65_600)) })
        )
        #expect(parses(base { $0["type"] = .string(String(repeating: "t", count: 255)) }))
        #expect(!parses(base { $0["type"] = .string(String(repeating: "t", count: 256)) }))
        #expect(!parses(base { $0["state_key"] = .string(String(repeating: "é", count: 128)) }), "256 bytes")
        #expect(!parses(base { $0["room_id"] = .string("!" + String(repeating: "r", count: 255)) }))
        #expect(parses(base { $0["prev_events"] = .array((0..<20).map { .string("$p\($0)") }) }))
        #expect(!parses(base { $0["prev_events"] = .array((0..<21).map { .string("$p\($0)") }) }))
        #expect(parses(base { $0["auth_events"] = .array((0..<10).map { .string("$a\($0)") }) }))
        #expect(!parses(base { $0["auth_events"] = .array((0..<11).map { .string("$a\($0)") }) }))
        #expect(parses(base { $0["depth"] = .int(JSONValue.maxSafeInteger) }))
        #expect(!parses(base { $0["depth"] = .int(JSONValue.maxSafeInteger + 1) }))
        #expect(!parses(base { $0["depth"] = -1 }))
    }

    @Test("A v12 create event without room_id gets the room ID of its hash; other v12 events need one")
    func v12RoomIDs() throws {
        let create: JSONObject = [
            "type": "m.room.create", "state_key": "", "sender": "@a:a.test", "content": ["room_version": "12"],
            "origin_server_ts": 1, "depth": 1, "prev_events": [], "auth_events": [], "hashes": [:], "signatures": [:],
        ]
        let pdu = try PDU(parsing: create, roomVersion: .v12)
        #expect(pdu.roomID == "!" + pdu.eventID.dropFirst())
        #expect((try? PDU(parsing: create, roomVersion: .v11)) == nil, "v11 create events need a room_id")
        #expect(!parses(base { $0["room_id"] = nil }, .v12))
    }

    @Test("redacts is top-level before v11 and in content from v11")
    func redacts() throws {
        let v10 = try PDU(
            parsing: base {
                $0["type"] = "m.room.redaction"
                $0["redacts"] = "$t"
            }, roomVersion: .v10)
        #expect(v10.redacts == "$t")
        let v11 = try PDU(
            parsing: base {
                $0["type"] = "m.room.redaction"
                $0["content"] = ["redacts": "$c"]
                $0["redacts"] = "$t"
            }, roomVersion: .v11)
        #expect(v11.redacts == "$c")
    }
}
