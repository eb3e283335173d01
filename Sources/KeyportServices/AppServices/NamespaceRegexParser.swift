/// Reads a ``NamespaceRegex`` in the subset of ICU syntax (which `NSRegularExpression` speaks, and
/// which agrees with Python's `re` on it) that registrations use: literals; escaped punctuation;
/// `\d` `\w` `\s` and their negations; `\t` `\n` `\r` `\f` `\xhh` `\uhhhh`; `.`; bracketed classes
/// with ranges, negation and escapes; groups `(...)` and `(?:...)`; `|`; `*` `+` `?` `{n}` `{n,}`
/// `{n,m}` and their lazy forms; `^` and `$`. Pure: no I/O and no `NSRegularExpression`.
///
/// Anything else is "unsupported" (nil), including what is valid but outside the subset:
/// backreferences, lookaround, possessive quantifiers, inline flags, `\b`, Unicode properties,
/// nested or intersected classes, and spellings the two dialects read differently (`\v`, `{,n}`).
struct NamespaceRegexParser {
    private struct Unsupported: Error {}

    /// A class member or escape: one scalar (which can end a range) or a set.
    private enum Item {
        case scalar(Unicode.Scalar)
        case set(ScalarSet)

        var set: ScalarSet {
            switch self {
            case .scalar(let scalar): ScalarSet(scalar)
            case .set(let set): set
            }
        }
    }

    /// The most any `{n,m}` may count; larger ones are unsupported.
    static let countLimit = 1_000

    private let scalars: [Unicode.Scalar]
    private var position = 0

    private init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
    }

    /// The tree, or nil when the pattern is outside the subset.
    static func parse(_ pattern: String) -> NamespaceRegex? {
        var parser = NamespaceRegexParser(pattern)
        guard let regex = try? parser.alternation(), parser.position == parser.scalars.count else { return nil }
        return regex
    }

    private var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func next() throws(Unsupported) -> Unicode.Scalar {
        guard let scalar = peek else { throw Unsupported() }
        position += 1
        return scalar
    }

    private mutating func alternation() throws(Unsupported) -> NamespaceRegex {
        var branches = [try sequence()]
        while peek == "|" {
            position += 1
            branches.append(try sequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func sequence() throws(Unsupported) -> NamespaceRegex {
        var parts: [NamespaceRegex] = []
        while let scalar = peek, scalar != "|", scalar != ")" {
            parts.append(try quantified(try atom()))
        }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    private mutating func atom() throws(Unsupported) -> NamespaceRegex {
        switch try next() {
        case "(":
            if peek == "?" {
                guard position + 1 < scalars.count, scalars[position + 1] == ":" else { throw Unsupported() }
                position += 2
            }
            let group = try alternation()
            guard try next() == ")" else { throw Unsupported() }
            return group
        case "[": return .characters(try characterClass())
        case ".": return .characters(.dot)
        case "^": return .startAnchor
        case "$": return .endAnchor
        case "\\": return .characters(try escape().set)
        case "*", "+", "?", "{", "}": throw Unsupported()
        case let literal: return .characters(ScalarSet(literal))
        }
    }

    /// A quantifier after `atom`, if any.
    private mutating func quantified(_ atom: NamespaceRegex) throws(Unsupported) -> NamespaceRegex {
        let bounds: (min: Int, max: Int?)
        switch peek {
        case "*": bounds = (0, nil)
        case "+": bounds = (1, nil)
        case "?": bounds = (0, 1)
        case "{": bounds = try counts()
        default: return atom
        }
        position += 1  // the quantifier's last scalar
        if peek == "?" { position += 1 }  // lazy: the same language
        if let scalar = peek, "*+?{".unicodeScalars.contains(scalar) { throw Unsupported() }  // possessive
        return .repetition(atom, min: bounds.min, max: bounds.max)
    }

    /// `{n}`, `{n,}` or `{n,m}`, read up to its closing brace.
    private mutating func counts() throws(Unsupported) -> (min: Int, max: Int?) {
        position += 1
        let min = try number()
        guard peek != "}" else { return (min, min) }
        guard try next() == "," else { throw Unsupported() }
        guard peek != "}" else { return (min, nil) }
        let max = try number()
        guard peek == "}", max >= min else { throw Unsupported() }
        return (min, max)
    }

    private mutating func number() throws(Unsupported) -> Int {
        var value = 0
        var digits = 0
        while let scalar = peek, scalar.isASCII, let digit = Int(String(scalar)) {
            value = value * 10 + digit
            digits += 1
            position += 1
            guard value <= Self.countLimit else { throw Unsupported() }
        }
        guard digits > 0 else { throw Unsupported() }
        return value
    }

    /// A bracketed class after its `[`, read through its `]`. A `-` is literal first or last; a
    /// leading `]`, a `[` (ICU's nested sets and POSIX classes), `&&` and `--` are unsupported.
    private mutating func characterClass() throws(Unsupported) -> ScalarSet {
        let negated = peek == "^"
        if negated { position += 1 }
        var members = ScalarSet.empty
        var first = true
        while true {
            let scalar = try next()
            switch scalar {
            case "]" where !first: return negated ? members.inverted() : members
            case "]", "[": throw Unsupported()
            case ":" where first && !negated: throw Unsupported()  // ICU reads `[:alpha:]` as a property
            case "&" where peek == "&": throw Unsupported()
            case "-":
                guard first || peek == "]" else { throw Unsupported() }
                members = members.union(ScalarSet("-"))
            default:
                let lower = scalar == "\\" ? try escape() : .scalar(scalar)
                members = members.union(try range(from: lower))
            }
            first = false
        }
    }

    /// `lower` alone, or the range it starts when a `-` and an upper bound follow.
    private mutating func range(from lower: Item) throws(Unsupported) -> ScalarSet {
        guard peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" else { return lower.set }
        position += 1
        let upper: Item
        switch try next() {
        case "\\": upper = try escape()
        case "[", "-": throw Unsupported()
        case let scalar: upper = .scalar(scalar)
        }
        guard case .scalar(let from) = lower, case .scalar(let to) = upper, from.value <= to.value else {
            throw Unsupported()
        }
        return ScalarSet(from, to)
    }

    /// An escape after its backslash.
    private mutating func escape() throws(Unsupported) -> Item {
        switch try next() {
        case "d": .set(.digit)
        case "D": .set(.digit.inverted())
        case "w": .set(.word)
        case "W": .set(.word.inverted())
        case "s": .set(.space)
        case "S": .set(.space.inverted())
        case "t": .scalar("\t")
        case "n": .scalar("\n")
        case "r": .scalar("\r")
        case "f": .scalar("\u{0C}")
        case "x": .scalar(try hexadecimal(digits: 2))
        case "u": .scalar(try hexadecimal(digits: 4))
        case let scalar where scalar.isASCII && !scalar.properties.isAlphabetic && !("0"..."9").contains(scalar):
            .scalar(scalar)
        default: throw Unsupported()
        }
    }

    private mutating func hexadecimal(digits: Int) throws(Unsupported) -> Unicode.Scalar {
        var value: UInt32 = 0
        for _ in 0..<digits {
            let scalar = try next()
            guard scalar.properties.isASCIIHexDigit, let digit = UInt32(String(scalar), radix: 16) else {
                throw Unsupported()
            }
            value = value * 16 + digit
        }
        guard let scalar = Unicode.Scalar(value) else { throw Unsupported() }
        return scalar
    }
}
