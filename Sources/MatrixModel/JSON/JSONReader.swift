/// The cursor behind ``JSONParser``: recursive descent over a byte buffer.
struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let options: JSONParser.Options
    private(set) var offset = 0

    init(bytes: UnsafeBufferPointer<UInt8>, options: JSONParser.Options) {
        self.bytes = bytes
        self.options = options
    }

    var atEnd: Bool { offset >= bytes.count }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONParseError) -> UInt8 {
        guard offset < bytes.count else { throw .unexpected("end of input", offset) }
        return bytes[offset]
    }

    private mutating func expectLiteral(_ literal: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue
    {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw .unexpected("truncated literal", offset) }
        let start = literal.utf8Start
        for index in 0..<count where bytes[offset + index] != start[index] {
            throw .unexpected("invalid literal", offset)
        }
        offset += count
        return value
    }

    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): return try expectLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw .unexpected("unexpected character", offset)
        }
    }

    private mutating func readObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= options.maxDepth else { throw .tooDeep }
        offset += 1
        var members: JSONObject = [:]
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw .unexpected("expected a key", offset) }
            let key = try readString()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw .unexpected("expected ':'", offset) }
            offset += 1
            skipWhitespace()
            let value = try readValue(depth: depth)
            guard members.updateValue(value, forKey: key) == nil else { throw .duplicateKey(key) }
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                return .object(members)
            default: throw .unexpected("expected ',' or '}'", offset)
            }
        }
    }

    private mutating func readArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= options.maxDepth else { throw .tooDeep }
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try readValue(depth: depth))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                return .array(elements)
            default: throw .unexpected("expected ',' or ']'", offset)
            }
        }
    }

    private mutating func readNumber() throws(JSONParseError) -> JSONValue {
        let start = offset
        var negative = false
        if bytes[offset] == UInt8(ascii: "-") {
            negative = true
            offset += 1
        }
        let digitsStart = offset
        var magnitude: UInt64 = 0
        var overflow = false
        while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
            let digit = UInt64(bytes[offset] - 0x30)
            if magnitude > (UInt64(JSONValue.maxSafeInteger) - digit) / 10 { overflow = true }
            if !overflow { magnitude = magnitude * 10 + digit }
            offset += 1
        }
        let digitCount = offset - digitsStart
        guard digitCount > 0 else { throw .unexpected("invalid number", start) }
        if digitCount > 1, bytes[digitsStart] == UInt8(ascii: "0") { throw .unexpected("leading zero", start) }
        var isFloat = false
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isFloat = true
            offset += 1
            let fractionStart = offset
            while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 { offset += 1 }
            guard offset > fractionStart else { throw .unexpected("invalid fraction", start) }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            isFloat = true
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            let exponentStart = offset
            while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 { offset += 1 }
            guard offset > exponentStart else { throw .unexpected("invalid exponent", start) }
        }
        if !isFloat {
            guard !overflow else { throw .numberOutOfRange }
            return .int(negative ? -Int64(magnitude) : Int64(magnitude))
        }
        guard options.allowFloats else { throw .floatNotAllowed }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else { throw .numberOutOfRange }
        if double.rounded() == double, abs(double) <= Double(JSONValue.maxSafeInteger) {
            return .int(Int64(double))
        }
        return .double(double)
    }

    mutating func readString() throws(JSONParseError) -> String {
        offset += 1
        let start = offset
        // Fast path: no escapes.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<offset])
                offset += 1
                guard let string = String(validating: slice, as: UTF8.self) else {
                    throw .invalidString("invalid UTF-8")
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw .invalidString("unescaped control character") }
            offset += 1
        }
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        while true {
            guard offset < bytes.count else { throw .invalidString("unterminated string") }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                guard let string = String(validating: buffer, as: UTF8.self) else {
                    throw .invalidString("invalid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                offset += 1
                try readEscape(into: &buffer)
            case 0..<0x20:
                throw .invalidString("unescaped control character")
            default:
                buffer.append(byte)
                offset += 1
            }
        }
    }

    private mutating func readEscape(into buffer: inout [UInt8]) throws(JSONParseError) {
        guard offset < bytes.count else { throw .invalidString("unterminated escape") }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): buffer.append(0x22)
        case UInt8(ascii: "\\"): buffer.append(0x5C)
        case UInt8(ascii: "/"): buffer.append(0x2F)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"),
                    bytes[offset + 1] == UInt8(ascii: "u")
                else { throw .invalidString("lone surrogate") }
                offset += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw .invalidString("lone surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw .invalidString("lone surrogate")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw .invalidString("invalid code point") }
            buffer.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw .invalidString("invalid escape")
        }
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .invalidString("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw .invalidString("invalid \\u escape")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }
}
