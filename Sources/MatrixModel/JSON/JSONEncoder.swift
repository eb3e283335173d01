/// Writes ``JSONValue`` as compact JSON with object keys sorted by Unicode code point.
///
/// In canonical mode (the Matrix appendix "Canonical JSON") the output is the exact byte string
/// that signatures cover; values canonical JSON cannot express (non-integral numbers, integers
/// beyond ±(2^53−1)) make it fail. Outside canonical mode doubles are written plainly.
public enum JSONWriter {
    /// Why a value has no canonical form.
    public enum CanonicalError: Error, Sendable, Equatable {
        case floatNotAllowed
        case integerOutOfRange
    }

    /// The canonical JSON bytes of `value`.
    public static func canonicalBytes(_ value: JSONValue) throws(CanonicalError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        try write(value, into: &output, canonical: true)
        return output
    }

    /// Compact JSON bytes, keys sorted; doubles allowed.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        try? write(value, into: &output, canonical: false)
        return output
    }

    static func write(_ value: JSONValue, into output: inout [UInt8], canonical: Bool) throws(CanonicalError) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let integer):
            if canonical, integer > JSONValue.maxSafeInteger || integer < -JSONValue.maxSafeInteger {
                throw .integerOutOfRange
            }
            output.append(contentsOf: String(integer).utf8)
        case .double(let double):
            if double.rounded() == double, abs(double) <= Double(JSONValue.maxSafeInteger) {
                output.append(contentsOf: String(Int64(double)).utf8)
            } else if canonical || !double.isFinite {
                if canonical { throw .floatNotAllowed }
                output.append(contentsOf: "null".utf8)
            } else {
                output.append(contentsOf: String(double).utf8)
            }
        case .string(let string): writeString(string, into: &output)
        case .fragment(let fragment):
            if canonical {
                guard let parsed = try? fragment.parsed() else { throw .floatNotAllowed }
                try write(parsed, into: &output, canonical: true)
            } else {
                output.append(contentsOf: fragment.bytes)
            }
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(element, into: &output, canonical: canonical)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in members.sortedMembers() {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                try write(value, into: &output, canonical: canonical)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                switch byte {
                case 0x22: output.append(contentsOf: [0x5C, 0x22])
                case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
                case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                default:
                    output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                    output.append(hexDigits[Int(byte >> 4)])
                    output.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// Canonical JSON bytes; throws if the value has no canonical form.
    public func canonicalBytes() throws(JSONWriter.CanonicalError) -> [UInt8] {
        try JSONWriter.canonicalBytes(self)
    }

    /// Compact JSON text with sorted keys (doubles allowed).
    public func encodedString() -> String {
        String(decoding: JSONWriter.bytes(self), as: UTF8.self)
    }
}
