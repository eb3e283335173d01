import Foundation

/// A namespace's compiled regular expression. Registration files are written for Synapse, which
/// compiles them with Python's `re` and matches from the start of the ID; ICU's syntax, which
/// `NSRegularExpression` speaks, covers what registrations use (classes, groups, alternation,
/// repetition, escapes).
struct NamespacePattern: @unchecked Sendable {
    // NSRegularExpression is immutable once made and documented as safe to use from any thread.
    private let expression: NSRegularExpression

    init?(_ regex: String) {
        guard let expression = try? NSRegularExpression(pattern: regex) else { return nil }
        self.expression = expression
    }

    /// Whether the expression matches a prefix of `text` (a match anchored at its start).
    func matchesPrefix(of text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        return expression.firstMatch(in: text, options: [.anchored], range: range) != nil
    }
}
