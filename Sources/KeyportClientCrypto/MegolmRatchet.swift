/// The Megolm ratchet R(i): four 32-byte parts and a 32-bit counter (docs/megolm.md). Part j is
/// reseeded from part h < j with HMAC-SHA-256(R(h), j): every step rehashes R3, every 2^8 steps
/// R2 (and R3 from it), every 2^16 R1, every 2^24 R0. So it moves forward any distance in at most
/// 1020 hashes and never backward.
public struct MegolmRatchet: Sendable, Codable, Equatable {
    public static let length = 128
    private static let seeds: [[UInt8]] = [[0x00], [0x01], [0x02], [0x03]]

    /// R(i,0) ‖ R(i,1) ‖ R(i,2) ‖ R(i,3).
    public private(set) var data: Base64Bytes
    /// i, wrapping at 2^32 as libolm's does.
    public private(set) var counter: UInt32

    public init(data: [UInt8], counter: UInt32) throws(ClientCryptoError) {
        guard data.count == Self.length else { throw .invalidKey("a Megolm ratchet is 128 bytes") }
        self.data = Base64Bytes(data)
        self.counter = counter
    }

    /// A new ratchet of 1024 random bits at index 0.
    public static func random() -> MegolmRatchet {
        try! MegolmRatchet(data: Primitives.randomBytes(length), counter: 0)
    }

    private func part(_ index: Int) -> [UInt8] { Array(data.bytes[index * 32..<(index + 1) * 32]) }

    /// R(to) = HMAC(R(from), to).
    private mutating func rehash(from: Int, to: Int) {
        let hashed = Primitives.hmacSHA256(key: part(from), message: Self.seeds[to])
        data.bytes.replaceSubrange(to * 32..<(to + 1) * 32, with: hashed)
    }

    /// One step forward.
    public mutating func advance() {
        counter &+= 1
        // The slowest part that changes at this index: 0 when i is a multiple of 2^24, and so on.
        var mask: UInt32 = 0x00FF_FFFF
        var slowest = 0
        while slowest < 3, counter & mask != 0 {
            slowest += 1
            mask >>= 8
        }
        for part in stride(from: 3, through: slowest, by: -1) { rehash(from: slowest, to: part) }
    }

    /// Forward to index `target`, wrapping at 2^32 like libolm (a target below the counter means
    /// "after the wrap").
    public mutating func advance(to target: UInt32) {
        for part in 0..<4 {
            let shift = UInt32((3 - part) * 8)
            let mask: UInt32 = ~0 << shift
            // How many times this part's byte of the counter must move, modulo 256.
            var steps = ((target >> shift) &- (counter >> shift)) & 0xFF
            if steps == 0 {
                // Only possible for R0 when the target wrapped past 2^32: a full turn.
                if target < counter {
                    steps = 0x100
                } else {
                    continue
                }
            }
            // All steps but the last only move this part; the last also reseeds the faster parts.
            while steps > 1 {
                rehash(from: part, to: part)
                steps -= 1
            }
            for faster in stride(from: 3, through: part, by: -1) { rehash(from: part, to: faster) }
            counter = target & mask
        }
    }
}
