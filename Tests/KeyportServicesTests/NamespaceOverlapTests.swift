import Foundation
import Testing

@testable import KeyportServices

/// Whether two namespace expressions can match the same ID (``NamespaceOverlap``), checked against
/// ICU: every example is matched by both expressions with `NSRegularExpression`, as the server
/// matches IDs, from the start of the string.
@Suite struct NamespaceOverlapTests {
    /// Whether `pattern` matches a prefix of `text`, as ``NamespacePattern`` matches.
    static func icuMatches(_ pattern: String, _ text: String) throws -> Bool {
        let expression = try NSRegularExpression(pattern: pattern)
        let range = NSRange(text.startIndex..., in: text)
        return expression.firstMatch(in: text, options: [.anchored], range: range) != nil
    }

    static let overlapping: [(String, String)] = [
        ("@irc_.*", "@irc_foo.*"),
        ("@_slack_.*:example\\.org", "@_slack_bot:example\\.org"),
        ("@[a-z]+_x", "@abc"),
        ("@(telegram|tg)_.*", "@tg_1"),
        ("@x{2,3}", "@xxx"),
        ("@[^:]*:one\\.org", "@(?:bot|[0-9]+)"),
        ("@\\d+", "@\u{0663}"),
        ("^@a*?b$", "@a{2}b"),
    ]

    @Test(arguments: overlapping) func overlappingPairsGiveAnExampleBothMatch(pair: (String, String)) throws {
        for (first, second) in [pair, (pair.1, pair.0)] {
            for prefix in ["", "@"] {
                let verdict = NamespaceOverlap.verdict(first, second, prefix: prefix)
                guard case .overlapping(let example) = verdict else {
                    Issue.record("\(first) and \(second): \(verdict)")
                    continue
                }
                #expect(try Self.icuMatches(first, example), "\(first) matches \(example)")
                #expect(try Self.icuMatches(second, example), "\(second) matches \(example)")
                #expect(example.hasPrefix(prefix))
            }
        }
    }

    @Test func theExampleIsTheShortestAndReadable() {
        #expect(NamespaceOverlap.verdict("@irc_.*", "@irc_foo.*") == .overlapping(example: "@irc_foo"))
        #expect(NamespaceOverlap.verdict("@.*", "@.+x") == .overlapping(example: "@ax"))
        #expect(NamespaceOverlap.verdict(".*", "") == .overlapping(example: ""))
        #expect(NamespaceOverlap.verdict(".*", "", prefix: "@") == .overlapping(example: "@"))
    }

    static let disjoint: [(String, String)] = [
        ("@irc_.*", "@slack_.*"),
        ("@a$", "@ab"),
        ("@[0-9]{3}$", "@[0-9]{4}$"),
        ("@_a_.*:one\\.org$", "@_a_.*:two\\.org$"),
        ("@tg_[0-9]+$", "@tg_[a-z]+$"),
        ("@a\\.", "@a[^.]"),
        ("@a.", "@a\n"),
        ("@\\d", "@[^\\d]"),
        ("@a^", "@a"),
        ("@(a|b)$c", "@a"),
    ]

    @Test(arguments: disjoint) func disjointPairsAreDisjoint(pair: (String, String)) {
        #expect(NamespaceOverlap.verdict(pair.0, pair.1) == .disjoint)
        #expect(NamespaceOverlap.verdict(pair.1, pair.0) == .disjoint)
    }

    @Test func onlyIDsStartingWithThePrefixCount() {
        #expect(NamespaceOverlap.verdict("irc_.*", "irc_foo", prefix: "@") == .disjoint)
        #expect(NamespaceOverlap.verdict(".*", "[^@]", prefix: "@") == .disjoint)
        #expect(NamespaceOverlap.verdict("^(@|x)a", "(x|@)a", prefix: "@") == .overlapping(example: "@a"))
    }

    /// Valid expressions outside the subset are not judged, and neither are huge automata.
    @Test(arguments: [
        "@(a)\\1", "@(?=a)", "@a*+", "(?i)@a", "@\\bx", "@\\p{L}", "@[[a]]", "@[a&&b]", "@[a--b]", "@[]a]", "@\\v",
        "@a{,2}", "@\\Qa\\E", "@a{1001}", "@(?<name>a)", "@[:alpha:]", "@(a{999}){999}",
    ])
    func unsupportedExpressionsAreUndecided(pattern: String) throws {
        #expect(NamespaceOverlap.verdict(pattern, "@.*") == .undecided)
        #expect(NamespaceOverlap.verdict("@.*", pattern) == .undecided)
    }

    @Test func theSearchIsBounded() {
        // About half a million pairs of states: (i scalars read, j of the second's last 1,000).
        #expect(NamespaceOverlap.verdict("@[ab]{0,1000}x", "@[ab]*[ab]{1000}y") == .undecided)
    }

    static func service(_ id: String, _ regexes: [String]) throws -> ApplicationService {
        ApplicationService(
            id: id, url: nil, asToken: "as-\(id)", hsToken: "hs-\(id)", sender: "@\(id)bot:example.org",
            namespaces: [
                .users: try regexes.map { try #require(ApplicationService.Namespace(regex: $0, exclusive: true)) }
            ])
    }

    @Test func theRegistryRefusesOverlappingExclusiveNamespacesNamingBoth() throws {
        let irc = try Self.service("irc", ["@ircbot:example\\.org", "@irc_.*"])
        let irc2 = try Self.service("irc2", ["@irc_foo.*"])
        #expect(
            ApplicationServiceRegistry.conflict(irc, irc2)
                == "'irc' and 'irc2' both claim users matching '@irc_.*' and '@irc_foo.*' exclusively "
                + "(for example @irc_foo)")
        #expect(ApplicationServiceRegistry.conflict(irc, try Self.service("slack", ["@slack_.*"])) == nil)
        #expect(
            ApplicationServiceRegistry.conflict(irc, try Self.service("a", ["@irc_[0-9]+$"]))?.hasSuffix(
                "(for example @irc_0)") == true)
        // A non-exclusive namespace overlaps without conflict.
        let watcher = ApplicationService(
            id: "watcher", url: nil, asToken: "as-w", hsToken: "hs-w", sender: "@watcher:example.org",
            namespaces: [.users: [try #require(ApplicationService.Namespace(regex: "@irc_.*", exclusive: false))]])
        #expect(ApplicationServiceRegistry.conflict(irc, watcher) == nil)
    }

    /// Outside the subset only identical expressions are refused: an operator is not stopped by
    /// syntax the check cannot read.
    @Test func unsupportedSyntaxFallsBackToIdenticalExpressions() throws {
        let first = try Self.service("first", ["@(?i)irc_.*"])
        #expect(ApplicationServiceRegistry.conflict(first, try Self.service("second", ["@irc_foo.*"])) == nil)
        #expect(
            ApplicationServiceRegistry.conflict(first, try Self.service("second", ["@(?i)irc_.*"]))
                == "both claim the users matching '@(?i)irc_.*' exclusively")
    }
}
