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
    @Test func randomPairsAgreeWithBruteForce() throws {
        var random = SeededGenerator(state: 20_261_203)
        let patterns = (0..<200).map { index in
            let body = Self.randomPattern(&random, depth: 2)
            switch index % 4 {
            case 0: return "@" + body
            case 1: return "^@" + body
            default: return body
            }
        }
        let strings = Self.strings(upTo: 6)
        // For each pattern, which strings it matches (from the start, as the server matches).
        let matched = try patterns.map { pattern in
            let expression = try NSRegularExpression(pattern: pattern)
            return strings.map { Self.matches(expression, $0) }
        }
        var (overlapping, disjoint) = (0, 0)
        for i in patterns.indices {
            for j in patterns.indices where j > i && (j - i) % 7 == 1 {
                let (first, second) = (patterns[i], patterns[j])
                for prefix in ["", "@"] {
                    let shortest = strings.indices.first {
                        matched[i][$0] && matched[j][$0] && strings[$0].hasPrefix(prefix)
                    }
                    .map { strings[$0] }
                    switch NamespaceOverlap.verdict(first, second, prefix: prefix) {
                    case .overlapping(let example):
                        overlapping += 1
                        #expect(example.hasPrefix(prefix))
                        for pattern in [first, second] {
                            #expect(
                                Self.matches(try NSRegularExpression(pattern: pattern), example),
                                "\(pattern) matches the example \(example.debugDescription)")
                        }
                        if let shortest {
                            #expect(example.unicodeScalars.count <= shortest.unicodeScalars.count, "shortest first")
                        }
                    case .disjoint:
                        disjoint += 1
                        #expect(shortest == nil, "\(first) and \(second) both match \(shortest ?? "")")
                    case .undecided:
                        Issue.record("\(first) and \(second) are in the subset")
                    }
                }
            }
        }
        // Both outcomes are exercised in bulk.
        #expect(overlapping > 1_000 && disjoint > 1_000, "\(overlapping) overlapping, \(disjoint) disjoint")
    }
}
