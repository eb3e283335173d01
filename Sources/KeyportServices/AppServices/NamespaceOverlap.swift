/// Whether two namespace expressions can match the same ID. A namespace matches an ID when it
/// matches a prefix of it (Synapse's `re.match`), so each one's language is L·Σ* (L alone where
/// `$` ends it), and two overlap when some string is in both. This is decided by a breadth-first
/// search over pairs of automaton states (the product construction), where a side that has
/// matched without `$` takes any scalar from then on; the path found is the shortest such
/// string, kept as the example. Pure: no I/O and no `NSRegularExpression`.
///
/// An expression outside ``NamespaceRegexParser``'s subset, or a search beyond ``pairLimit``,
/// gives ``Verdict/undecided``.
enum NamespaceOverlap {
    enum Verdict: Equatable, Sendable {
        /// `example` matches both, and starts with the prefix asked for.
        case overlapping(example: String)
        case disjoint
        case undecided
    }

    /// The most state pairs a search visits (a registration's pairs number in the hundreds).
    static let pairLimit = 100_000

    /// Compares two expressions over the strings that start with `prefix` (`"@"` for user IDs).
    static func verdict(_ first: String, _ second: String, prefix: String = "") -> Verdict {
        guard let firstRegex = NamespaceRegexParser.parse(first), let secondRegex = NamespaceRegexParser.parse(second),
            let firstAutomaton = NamespaceAutomaton(firstRegex), let secondAutomaton = NamespaceAutomaton(secondRegex)
        else { return .undecided }
        return verdict(firstAutomaton, secondAutomaton, prefix: Array(prefix.unicodeScalars))
    }

    /// A search node: each side's state (``free`` once it has matched) and how far into the
    /// string it is, counted up to the prefix's length (at least 1, so 0 always means the start).
    private struct Pair: Hashable {
        let first: Int
        let second: Int
        let position: Int
    }

    /// The state of a side that has matched and takes anything.
    private static let free = -1

    private static func verdict(
        _ first: NamespaceAutomaton, _ second: NamespaceAutomaton, prefix: [Unicode.Scalar]
    ) -> Verdict {
        let lastPosition = max(prefix.count, 1)
        var pairs = [Pair(first: first.start, second: second.start, position: 0)]
        var steps: [(from: Int, scalar: Unicode.Scalar)?] = [nil]
        var seen: [Pair: Int] = [pairs[0]: 0]
        var (firstSides, secondSides) = (SideCache(first), SideCache(second))
        var index = 0
        while index < pairs.count {
            let pair = pairs[index]
            let firstSide = firstSides.side(pair.first, atStart: pair.position == 0)
            let secondSide = secondSides.side(pair.second, atStart: pair.position == 0)
            if firstSide.matchesHere && secondSide.matchesHere && pair.position >= prefix.count {
                return .overlapping(example: example(ending: index, steps))
            }
            let nextPosition = min(pair.position + 1, lastPosition)
            for firstMove in firstSide.moves {
                for secondMove in secondSide.moves {
                    let next = Pair(first: firstMove.target, second: secondMove.target, position: nextPosition)
                    guard seen[next] == nil else { continue }
                    var scalars = firstMove.scalars.intersection(secondMove.scalars)
                    if pair.position < prefix.count { scalars = scalars.intersection(ScalarSet(prefix[pair.position])) }
                    guard let scalar = scalars.sample else { continue }
                    guard pairs.count < pairLimit else { return .undecided }
                    seen[next] = pairs.count
                    pairs.append(next)
                    steps.append((index, scalar))
                }
            }
            index += 1
        }
        return .disjoint
    }

    /// Each state's ``Side`` away from the start, worked out once.
    private struct SideCache {
        let automaton: NamespaceAutomaton
        var known: [Int: Side] = [:]

        init(_ automaton: NamespaceAutomaton) {
            self.automaton = automaton
        }

        mutating func side(_ state: Int, atStart: Bool) -> Side {
            if atStart { return Side(automaton, state, atStart: true) }
            if let side = known[state] { return side }
            let side = Side(automaton, state, atStart: false)
            known[state] = side
            return side
        }
    }

    /// What one side can do from a state: whether the string so far matches if it ends here, and
    /// its moves on (one move taking anything to ``free`` once it has matched without `$`).
    private struct Side {
        let matchesHere: Bool
        let moves: [NamespaceAutomaton.Move]

        init(_ automaton: NamespaceAutomaton, _ state: Int, atStart: Bool) {
            let reached = state == free ? [] : automaton.closure(of: state, atStart: atStart, atEnd: false)
            if state == free || reached.contains(automaton.accept) {
                matchesHere = true
                moves = [NamespaceAutomaton.Move(scalars: .all, target: free)]
            } else {
                matchesHere = automaton.closure(of: state, atStart: atStart, atEnd: true).contains(automaton.accept)
                moves = reached.sorted().flatMap { automaton.states[$0].moves }
            }
        }
    }

    /// The string spelled by the steps that led to pair `index`.
    private static func example(ending index: Int, _ steps: [(from: Int, scalar: Unicode.Scalar)?]) -> String {
        var scalars: [Unicode.Scalar] = []
        var current = index
        while let step = steps[current] {
            scalars.append(step.scalar)
            current = step.from
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars.reversed())
        return String(text)
    }
}
