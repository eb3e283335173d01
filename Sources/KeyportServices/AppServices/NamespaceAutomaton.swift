/// A ``NamespaceRegex`` as a nondeterministic automaton (Thompson's construction): states joined
/// by moves that consume one scalar of a set, and by empty moves, of which those made by `^` and
/// `$` may only be taken at the start or the end of the ID.
struct NamespaceAutomaton: Sendable {
    /// When an empty move may be taken.
    enum Condition: Sendable {
        case always, atStart, atEnd
    }

    struct Move: Sendable {
        let scalars: ScalarSet
        let target: Int
    }

    struct EmptyMove: Sendable {
        let condition: Condition
        let target: Int
    }

    struct State: Sendable {
        var moves: [Move] = []
        var emptyMoves: [EmptyMove] = []
    }

    /// The most states an automaton may have (a registration's have a few dozen); larger ones,
    /// which only long counted repetitions make, are not built.
    static let stateLimit = 5_000

    private(set) var states: [State] = []
    private(set) var start = 0
    private(set) var accept = 0

    /// Nil when the automaton would exceed ``stateLimit``.
    init?(_ regex: NamespaceRegex) {
        guard let whole = build(regex) else { return nil }
        start = whole.entry
        accept = whole.exit
    }

    /// The states reachable from `state` by empty moves, `^`'s when `atStart` and `$`'s when `atEnd`.
    func closure(of state: Int, atStart: Bool, atEnd: Bool) -> Set<Int> {
        var reached: Set<Int> = [state]
        var pending = [state]
        while let current = pending.popLast() {
            for move in states[current].emptyMoves where !reached.contains(move.target) {
                switch move.condition {
                case .always: break
                case .atStart: if !atStart { continue }
                case .atEnd: if !atEnd { continue }
                }
                reached.insert(move.target)
                pending.append(move.target)
            }
        }
        return reached
    }

    private mutating func addState() -> Int {
        states.append(State())
        return states.count - 1
    }

    private mutating func connect(_ from: Int, _ to: Int, _ condition: Condition = .always) {
        states[from].emptyMoves.append(EmptyMove(condition: condition, target: to))
    }

    /// Adds the states for `regex`; its entry and exit.
    private mutating func build(_ regex: NamespaceRegex) -> (entry: Int, exit: Int)? {
        guard states.count < Self.stateLimit else { return nil }
        let entry = addState()
        var exit = entry
        switch regex {
        case .characters(let scalars):
            exit = addState()
            states[entry].moves.append(Move(scalars: scalars, target: exit))
        case .startAnchor, .endAnchor:
            exit = addState()
            connect(entry, exit, regex == .startAnchor ? .atStart : .atEnd)
        case .sequence(let parts):
            for part in parts {
                guard let built = build(part) else { return nil }
                connect(exit, built.entry)
                exit = built.exit
            }
        case .alternation(let branches):
            exit = addState()
            for branch in branches {
                guard let built = build(branch) else { return nil }
                connect(entry, built.entry)
                connect(built.exit, exit)
            }
        case .repetition(let body, let min, let max):
            for _ in 0..<min {
                guard let copy = build(body) else { return nil }
                connect(exit, copy.entry)
                exit = copy.exit
            }
            let end = addState()
            connect(exit, end)
            if let max {
                for _ in min..<max {
                    guard let copy = build(body) else { return nil }
                    connect(exit, copy.entry)
                    connect(copy.exit, end)
                    exit = copy.exit
                }
            } else {
                guard let loop = build(body) else { return nil }
                connect(exit, loop.entry)
                connect(loop.exit, loop.entry)
                connect(loop.exit, end)
            }
            exit = end
        }
        return (entry, exit)
    }
}
