import MatrixModel
import Testing

@testable import KeyportServices

/// Outgoing `m.direct_to_device` EDUs stay under 64 KiB: a large batch for one server is split by
/// recipient device, every message goes out exactly once, each EDU with its own `message_id`.
struct DirectToDeviceSplitTests {
    @Test func largeBatchesAreSplitBelowTheEDULimit() throws {
        let payload = String(repeating: "x", count: 20_000)
        var messages: [String: JSONValue] = [:]
        for user in 0..<4 {
            var devices: JSONObject = [:]
            for device in 0..<3 {
                devices["D\(device)"] = ["ciphertext": .string(payload), "n": .int(Int64(user * 10 + device))]
            }
            messages["@u\(user):remote.example"] = .object(devices)
        }
        let edus = ToDeviceService.directToDeviceEDUs(sender: "@a:local", type: "m.room.encrypted", messages: messages)
        #expect(edus.count >= 4, "12 messages of 20 KB cannot share fewer than 4 EDUs of 60 KiB")
        var seen: [Int64] = []
        var ids: Set<String> = []
        for edu in edus {
            let size = JSONWriter.bytes(.object(edu)).count
            #expect(size < 64 * 1024, "EDU of \(size) bytes")
            #expect(edu["sender"] == "@a:local")
            #expect(edu["type"] == "m.room.encrypted")
            ids.insert(try #require(edu["message_id"]?.stringValue))
            for (_, devices) in edu["messages"]?.objectValue ?? [:] {
                for (_, content) in devices.objectValue ?? [:] { seen.append(content["n"]?.intValue ?? -1) }
            }
        }
        #expect(seen.sorted() == [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32])
        #expect(ids.count == edus.count)
    }

    @Test func smallBatchesStayInOneEDU() {
        let messages: [String: JSONValue] = [
            "@u:r.example": ["A": ["n": 1], "B": ["n": 2]], "@v:r.example": ["*": ["n": 3]],
        ]
        let edus = ToDeviceService.directToDeviceEDUs(sender: "@a:local", type: "m.test", messages: messages)
        #expect(edus.count == 1)
        #expect(edus.first?["messages"]?["@v:r.example"]?["*"]?["n"] == 3)
    }
}
