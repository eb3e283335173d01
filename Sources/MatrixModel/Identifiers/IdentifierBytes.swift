/// Checks of the ASCII grammars of identifiers, byte by byte. Iterating a `String` by `Character`
/// costs a grapheme-break and Unicode-property lookup per character, and user IDs are parsed for
/// every user of every `/keys/query` (15% of the server's time in a 100-user query, by `perf`).
enum IdentifierBytes {
    /// Runs `body` over the UTF-8 bytes of `text`, copying them only when they are not contiguous.
    static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// `0-9`.
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// `A-Z`, `a-z`.
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- UInt8(ascii: "a") < 26 }

    /// `0-9`, `A-F`, `a-f`.
    static func isHexDigit(_ byte: UInt8) -> Bool { isDigit(byte) || (byte | 0x20) &- UInt8(ascii: "a") < 6 }
}
