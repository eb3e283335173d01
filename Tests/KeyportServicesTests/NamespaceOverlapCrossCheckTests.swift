import Foundation
import Testing

@testable import KeyportServices

/// ``NamespaceOverlap`` against brute force: random expressions from the supported grammar over a
/// tiny alphabet, every string up to a length matched with ICU, and every pair compared.
@Suite struct NamespaceOverlapCrossCheckTests {
    /// SplitMix64, so the expressions are the same on every run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = ["@", "a", "b", "_", "."]
    static let atoms = ["@", "a", "b", "_", "\\.", ".", "[ab]", "[^a]", "[a-b_]", "\\w", "\\W", "[^@.]", "\\_"]
    static let quantifiers = ["", "", "", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?", "+?", "{0,1}?"]
    /// A group is repeated a bounded number of times: ICU backtracks without end on some unbounded
    /// repetitions of groups that can match nothing, such as `(?:[^a]{0,})+?`.
    static let groupQuantifiers = ["", "", "?", "{2}", "{1,2}", "??"]

    static func randomPattern(_ random: inout SeededGenerator, depth: Int) -> String {
        var branches: [String] = []
        for _ in 0..<(depth > 0 && Int.random(in: 0..<5, using: &random) == 0 ? 2 : 1) {
            var branch = ""
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                switch Int.random(in: 0..<10, using: &random) {
                case 0 where depth > 0:
                    branch += "(" + randomPattern(&random, depth: depth - 1) + ")"
                    branch += groupQuantifiers.randomElement(using: &random)!
                case 1 where depth > 0:
                    branch += "(?:" + randomPattern(&random, depth: depth - 1) + ")"
                    branch += groupQuantifiers.randomElement(using: &random)!
                default:
                    branch += atoms.randomElement(using: &random)! + quantifiers.randomElement(using: &random)!
                }
            }
            if Int.random(in: 0..<6, using: &random) == 0 { branch += "$" }
            branches.append(branch)
        }
        return branches.joined(separator: "|")
    }

    /// Every string over the alphabet up to `length` scalars, shortest first.
    static func strings(upTo length: Int) -> [String] {
        var all = [""]
        var last = [""]
        for _ in 0..<length {
            last = last.flatMap { prefix in alphabet.map { prefix + $0 } }
            all += last
        }
        return all
    }

    /// Whether `expression` matches a prefix of `text`, as ``NamespacePattern`` matches.
    static func matches(_ expression: NSRegularExpression, _ text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        return expression.firstMatch(in: text, options: [.anchored], range: range) != nil
    }

    /// 200 expressions, about 2,900 pairs of them, each compared over all strings and over those
    /// starting with `@` (user IDs); every string up to 6 scalars (19,531) is matched with ICU.
    /// Seconds of computation (about 8 in a debug build, more beside the rest of the suite), so it
    /// runs on a thread of its own and hands back what it found for the test to record.
    @Test func randomPairsAgreeWithBruteForce() async throws {
        let comparison = try await computeInBackground { try Self.compareRandomPairs() }
        for problem in comparison.problems { Issue.record("\(problem)") }
        // Both outcomes are exercised in bulk.
        #expect(
            comparison.overlapping > 1_000 && comparison.disjoint > 1_000,
            "\(comparison.overlapping) overlapping, \(comparison.disjoint) disjoint")
    }

    /// Which of the strings (by index, shortest first) are in a set, 64 to a word.
    struct StringSet {
        var words: [UInt64]

        init(_ members: [Bool]) {
            words = Array(repeating: 0, count: (members.count + 63) / 64)
            for (index, member) in members.enumerated() where member { words[index / 64] |= 1 << (index % 64) }
        }

        /// The first string in this set and in both others.
        func firstShared(with other: StringSet, _ third: StringSet) -> Int? {
            for index in words.indices {
                let shared = words[index] & other.words[index] & third.words[index]
                if shared != 0 { return index * 64 + shared.trailingZeroBitCount }
            }
            return nil
        }
    }

    struct Comparison: Sendable {
        var problems: [String] = []
        var overlapping = 0
        var disjoint = 0
    }

    /// Each pair's verdict against brute force; a disagreement is a problem.
    static func compareRandomPairs() throws -> Comparison {
        var random = SeededGenerator(state: 20_261_203)
        let patterns = (0..<200).map { index in
            let body = randomPattern(&random, depth: 2)
            switch index % 4 {
            case 0: return "@" + body
            case 1: return "^@" + body
            default: return body
            }
        }
        let strings = strings(upTo: 6)
        // For each pattern, which strings it matches (from the start, as the server matches).
        let matched = try patterns.map { pattern in
            let expression = try NSRegularExpression(pattern: pattern)
            return StringSet(strings.map { matches(expression, $0) })
        }
        let withPrefix = ["": StringSet(strings.map { _ in true }), "@": StringSet(strings.map { $0.hasPrefix("@") })]
        var comparison = Comparison()
        for i in patterns.indices {
            for j in patterns.indices where j > i && (j - i) % 7 == 1 {
                let (first, second) = (patterns[i], patterns[j])
                for prefix in ["", "@"] {
                    let shortest = matched[i].firstShared(with: matched[j], withPrefix[prefix]!).map { strings[$0] }
                    let pair = "\(first) and \(second) (prefix \(prefix.debugDescription))"
                    switch NamespaceOverlap.verdict(first, second, prefix: prefix) {
                    case .overlapping(let example):
                        comparison.overlapping += 1
                        if !example.hasPrefix(prefix) {
                            comparison.problems.append(
                                "\(pair): the example \(example.debugDescription) lacks the prefix")
                        }
                        for pattern in [first, second]
                        where !matches(try NSRegularExpression(pattern: pattern), example) {
                            comparison.problems.append(
                                "\(pattern) does not match the example \(example.debugDescription)")
                        }
                        if let shortest, example.unicodeScalars.count > shortest.unicodeScalars.count {
                            let example = example.debugDescription
                            comparison.problems.append(
                                "\(pair): \(example) is longer than \(shortest.debugDescription)")
                        }
                    case .disjoint:
                        comparison.disjoint += 1
                        if let shortest {
                            comparison.problems.append(
                                "\(pair) are called disjoint and both match \(shortest.debugDescription)")
                        }
                    case .undecided:
                        comparison.problems.append("\(pair) are in the subset and undecided")
                    }
                }
            }
        }
        return comparison
    }
}
