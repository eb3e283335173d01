import MatrixModel
import Testing

@testable import KeyportServices

/// Outgoing `m.direct_to_device` EDUs stay under 64 KiB, envelope included: a large batch for one
/// server is split by recipient device, every message goes out exactly once, each EDU with its
/// own `message_id`.
struct DirectToDeviceSplitTests {
    /// The canonical JSON of the whole EDU as the sender puts it in a transaction.
    static func wholeEDUBytes(_ content: JSONObject) throws -> Int {
        try JSONWriter.canonicalBytes(.object(["edu_type": "m.direct_to_device", "content": .object(content)])).count
    }

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
        #expect(edus.count >= 4, "12 messages of 20 KB cannot share fewer than 4 EDUs of 64 KiB")
        var seen: [Int64] = []
        var ids: Set<String> = []
        for edu in edus {
            let size = try Self.wholeEDUBytes(edu)
            #expect(size < 65536, "EDU of \(size) bytes")
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

    /// Sizes are counted exactly, so EDUs are filled up to the last byte below 64 KiB and never past it.
    @Test func sizesAreExactUpToTheLimit() throws {
        let packer = DirectToDeviceEDUs(sender: "@alice:local.example", type: "m.room.encrypted")
        // Messages of many sizes (escapes and multi-byte characters included) to many devices.
        var messages: [String: JSONValue] = [:]
        var count = 0
        for user in 0..<7 {
            var devices: JSONObject = [:]
            for device in 0..<9 {
                let length = (user * 7919 + device * 104_729) % 30_000
                devices["DEV\"\(device)é"] = [
                    "body": .string(String(repeating: "é\n", count: length / 3)), "i": .int(Int64(count)),
                ]
                count += 1
            }
            messages["@user\(user):remote.example"] = .object(devices)
        }
        let (edus, sizes) = packer.pack(messages)
        var total = 0
        for (edu, size) in zip(edus, sizes) {
            #expect(try Self.wholeEDUBytes(edu) == size, "the counted size is the real size")
            #expect(size < DirectToDeviceEDUs.maxEDUBytes)
            for (_, devices) in edu["messages"]?.objectValue ?? [:] { total += devices.objectValue?.count ?? 0 }
        }
        #expect(total == count)

        // One message sized so that its EDU is 65,535 bytes fits alone; one byte more does not.
        let user = "@bob:remote.example"
        let empty = packer.size(ofOneMessageTo: user, deviceID: "D", contentBytes: #"{"p":""}"#.utf8.count)
        let fitting: JSONValue = ["p": .string(String(repeating: "a", count: 65535 - empty))]
        let (one, oneSizes) = packer.pack([user: ["D": fitting]])
        #expect(oneSizes == [65535])
        #expect(try Self.wholeEDUBytes(try #require(one.first)) == 65535)
        let contentBytes = try JSONWriter.canonicalBytes(fitting).count
        #expect(packer.size(ofOneMessageTo: user, deviceID: "D", contentBytes: contentBytes + 1) == 65536)
    }
}
