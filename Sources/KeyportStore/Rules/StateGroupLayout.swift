/// How every engine lays out the state after each event: a snapshot shared by all events with the
/// same state, stored as a chain of deltas over an earlier snapshot and cut by a full copy once the
/// chain grows long, so that reading a state walks a bounded number of rows. One layout for every
/// engine, so a database ported between engines reads the same.
public enum StateGroupLayout {
    /// The most deltas between a snapshot and the full copy it starts from.
    public static let maxChainLength = 100

    /// What to write for a new state.
    public enum Plan: Sendable, Equatable {
        /// Nothing changed: the base snapshot is the new state.
        case reuse(Int64)
        /// A delta over `previous` (a key mapped to nil is removed).
        case delta(previous: Int64, chainLength: Int, entries: [RoomStateKey: String?])
        /// A full copy with no previous snapshot.
        case full(RoomStateIDs)
    }

    /// Whether changes over a snapshot at the end of a chain this long are written as a full copy
    /// (an engine that reads asynchronously reads the base state first when this says so).
    public static func needsFullCopy(afterChainLength chainLength: Int) -> Bool {
        chainLength + 1 > maxChainLength
    }

    /// The plan for `changes` over `base` (nil: the empty state). `baseState` is read only when a
    /// full copy is due.
    public static func plan(
        base: (id: Int64, chainLength: Int)?, changes: [RoomStateKey: String?], baseState: () throws -> RoomStateIDs
    ) rethrows -> Plan {
        guard let base else { return .full(apply([changes], to: [:])) }
        if changes.isEmpty { return .reuse(base.id) }
        if needsFullCopy(afterChainLength: base.chainLength) {
            return .full(apply([changes], to: try baseState()))
        }
        return .delta(previous: base.id, chainLength: base.chainLength + 1, entries: changes)
    }

    /// Applies layers of changes, oldest first, to a state.
    public static func apply(_ layers: [[RoomStateKey: String?]], to state: RoomStateIDs) -> RoomStateIDs {
        var result = state
        for layer in layers {
            for (key, value) in layer { result[key] = value }
        }
        return result
    }
}
