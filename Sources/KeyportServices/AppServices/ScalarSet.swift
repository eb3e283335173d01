/// A set of Unicode scalars as sorted, disjoint, non-adjacent closed ranges of scalar values, so
/// that two character classes intersect exactly without listing the alphabet. Surrogate code
/// points (U+D800–U+DFFF) are never members: they are not scalars.
struct ScalarSet: Hashable, Sendable {
    private(set) var ranges: [ClosedRange<UInt32>]

    /// Every scalar.
    static let all = ScalarSet(ranges: [0...0xD7FF, 0xE000...0x10FFFF])
    static let empty = ScalarSet(ranges: [])

    init(_ scalar: Unicode.Scalar) {
        ranges = [scalar.value...scalar.value]
    }

    /// `lower...upper`; empty when `upper` comes first.
    init(_ lower: Unicode.Scalar, _ upper: Unicode.Scalar) {
        ranges = lower.value <= upper.value ? [lower.value...upper.value] : []
    }

    /// Ranges already sorted, disjoint and non-adjacent.
    private init(normalized ranges: [ClosedRange<UInt32>]) {
        self.ranges = ranges
    }

    /// Normalises any ranges: sorted, overlapping and adjacent ones merged.
    init(ranges: [ClosedRange<UInt32>]) {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        ranges.contains { $0.contains(scalar.value) }
    }

    func union(_ other: ScalarSet) -> ScalarSet {
        ScalarSet(ranges: ranges + other.ranges)
    }

    /// The scalars in both, by a merge of the two sorted range lists (whose pieces cannot touch:
    /// two scalars next to each other in both sets are in one range of each).
    func intersection(_ other: ScalarSet) -> ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        var (i, j) = (0, 0)
        while i < ranges.count && j < other.ranges.count {
            let (a, b) = (ranges[i], other.ranges[j])
            let lower = max(a.lowerBound, b.lowerBound)
            let upper = min(a.upperBound, b.upperBound)
            if lower <= upper { result.append(lower...upper) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return ScalarSet(normalized: result)
    }

    /// Every scalar not in this set.
    func inverted() -> ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return ScalarSet(ranges: result).intersection(.all)
    }

    /// A member to show in an example, readable where the set allows: a lowercase letter, a
    /// digit, other printable ASCII, then the smallest member.
    var sample: Unicode.Scalar? {
        for preferred: ClosedRange<UInt32> in [0x61...0x7A, 0x30...0x39, 0x21...0x7E] {
            for range in ranges where range.overlaps(preferred) {
                return Unicode.Scalar(max(range.lowerBound, preferred.lowerBound))
            }
        }
        return ranges.first.flatMap { Unicode.Scalar($0.lowerBound) }
    }
}
