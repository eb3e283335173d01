/// The small subset of the Protocol Buffers wire format that Olm and Megolm messages use: varint
/// keys, varint integers and length-prefixed byte strings. Written by hand, as libolm and vodozemac
/// write it, so that the byte layout (field order, always-present index) is exactly theirs.
enum ProtobufWriter {
    /// The unsigned LEB128 encoding of `value`.
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var output: [UInt8] = []
        while value >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
        return output
    }

    /// A varint field: its key byte, then the value.
    static func integerField(tag: UInt8, _ value: UInt64) -> [UInt8] { [tag] + varint(value) }

    /// A bytes field: its key byte, the length, then the bytes.
    static func bytesField(tag: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        [tag] + varint(UInt64(bytes.count)) + bytes
    }
}

/// Reads the fields of a protobuf payload in any order; unknown fields are skipped, a repeated
/// field keeps its last value, as a protobuf decoder does.
struct ProtobufReader {
    private(set) var integers: [UInt64: UInt64] = [:]
    private(set) var bytes: [UInt64: [UInt8]] = [:]

    init(_ payload: ArraySlice<UInt8>) throws(ClientCryptoError) {
        var index = payload.startIndex
        func readVarint() throws(ClientCryptoError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < payload.endIndex else { throw .malformedMessage("truncated varint") }
                let byte = payload[index]
                index += 1
                guard shift < 64 else { throw .malformedMessage("varint longer than 64 bits") }
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        while index < payload.endIndex {
            let key = try readVarint()
            let field = key >> 3
            switch key & 7 {
            case 0:
                integers[field] = try readVarint()
            case 2:
                let length = try readVarint()
                guard length <= UInt64(payload.endIndex - index) else {
                    throw .malformedMessage("field longer than the message")
                }
                let end = index + Int(length)
                bytes[field] = Array(payload[index..<end])
                index = end
            case 1:
                guard payload.endIndex - index >= 8 else { throw .malformedMessage("truncated fixed64") }
                index += 8
            case 5:
                guard payload.endIndex - index >= 4 else { throw .malformedMessage("truncated fixed32") }
                index += 4
            default:
                throw .malformedMessage("unsupported wire type \(key & 7)")
            }
        }
    }
}
