/// The sets behind `.`, `\d`, `\w` and `\s` as ICU (which `NSRegularExpression` runs) defines
/// them, taken from the standard library's Unicode properties. Its Unicode version may differ
/// from ICU's by a few scalars; what needs to be exact checks its answer against ICU.
extension ScalarSet {
    /// `.` without the dot-all flag: anything but a line terminator.
    static let dot = ScalarSet(ranges: [0x0A...0x0D, 0x85...0x85, 0x2028...0x2029]).inverted()

    /// `\d`: decimal digits of every script (`\p{Nd}`).
    static let digit = collect { $0.generalCategory == .decimalNumber }

    /// `\w`: letters, marks, decimal digits, connector punctuation, ZWNJ and ZWJ.
    static let word = collect { properties in
        switch properties.generalCategory {
        case .decimalNumber, .connectorPunctuation, .nonspacingMark, .spacingMark, .enclosingMark: true
        default: properties.isAlphabetic
        }
    }
    .union(ScalarSet("\u{200C}", "\u{200D}"))

    /// `\s`: the Unicode `White_Space` property.
    static let space = collect(\.isWhitespace)

    /// The scalars whose properties pass `test`, by one pass over every scalar (done once per set).
    private static func collect(_ test: (Unicode.Scalar.Properties) -> Bool) -> ScalarSet {
        var ranges: [ClosedRange<UInt32>] = []
        var start: UInt32?
        for value in UInt32(0)...0x11_0000 {
            let member = Unicode.Scalar(value).map { test($0.properties) } ?? false
            if member, start == nil { start = value }
            if !member, let first = start {
                ranges.append(first...(value - 1))
                start = nil
            }
        }
        return ScalarSet(ranges: ranges)
    }
}
