/// A namespace's regular expression as a tree, in the subset registration files use, so that two
/// namespaces can be compared by their languages rather than their spelling
/// (``NamespaceOverlap``). ``NamespaceRegexParser`` reads it; anything outside the subset is not
/// represented and the comparison falls back to the spelling.
indirect enum NamespaceRegex: Equatable, Sendable {
    /// One scalar from the set: a literal, an escape, `.` or a bracketed class.
    case characters(ScalarSet)
    /// Each part in turn; empty matches the empty string.
    case sequence([NamespaceRegex])
    /// Any one of the branches.
    case alternation([NamespaceRegex])
    /// `min` to `max` (nil: unbounded) repetitions; lazy quantifiers give the same language.
    case repetition(NamespaceRegex, min: Int, max: Int?)
    /// `^`: only at the start of the ID.
    case startAnchor
    /// `$`: only at the end of the ID. ICU and Python also let it match before a final line
    /// break; no user ID has one, so that is left out.
    case endAnchor
}
