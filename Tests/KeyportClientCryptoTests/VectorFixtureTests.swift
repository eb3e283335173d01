import Testing

@testable import KeyportClientCrypto

/// Vectors from libolm and vodozemac (each fixture names its source file and commit).
@Suite struct VectorFixtureTests {
    /// libolm's Megolm::advance: one step, advance_to(1), then on to 2^24 and 0x1041506.
    @Test func libolmMegolmAdvance() throws {
        let fixture = try Fixture.load("libolm_megolm_ratchet")
        let initial = Array((fixture["initial_ascii"] as! String).utf8)
        let steps = fixture["steps"] as! [[String: Any]]
        var stepped = try MegolmRatchet(data: initial, counter: 0)
        stepped.advance()
        #expect(stepped.counter == 1)
        #expect(Hex.encode(stepped.data.bytes) == steps[0]["data_hex"] as! String)

        var ratchet = try MegolmRatchet(data: initial, counter: 0)
        for step in steps.dropFirst() {
            let counter = UInt32(step["counter"] as! Int)
            ratchet.advance(to: counter)
            #expect(ratchet.counter == counter)
            #expect(Hex.encode(ratchet.data.bytes) == step["data_hex"] as! String)
        }
    }

    /// libolm's Megolm::advance wraparound: from 0xffffffff to 2^24 equals from 0 to 2^25.
    @Test func libolmMegolmWraparound() throws {
        let fixture = try Fixture.load("libolm_megolm_ratchet")
        let initial = Array((fixture["initial_ascii"] as! String).utf8)
        let wrap = fixture["wraparound"] as! [String: Int]
        var wrapped = try MegolmRatchet(data: initial, counter: UInt32(wrap["from_counter"]!))
        wrapped.advance(to: UInt32(wrap["to"]!))
        #expect(wrapped.counter == UInt32(wrap["to"]!))
        var straight = try MegolmRatchet(data: initial, counter: 0)
        straight.advance(to: UInt32(wrap["equals_from_0_to"]!))
        #expect(straight.counter == UInt32(wrap["equals_from_0_to"]!))
        #expect(wrapped.data == straight.data)
    }

    /// Step by step and jumping agree across each part's boundary (2^8, 2^16).
    @Test func advanceAgreesWithAdvanceTo() throws {
        let start = try MegolmRatchet(data: Array(0..<128), counter: 250)
        var stepped = start
        var jumped = start
        for target in [UInt32(255), 256, 257, 600, 65_535, 65_536, 65_540] {
            while stepped.counter < target { stepped.advance() }
            jumped.advance(to: target)
            #expect(stepped == jumped, "at \(target)")
        }
    }

    /// vodozemac's encoded pre-key and normal messages parse to their ciphertexts and re-encode to
    /// the same bytes; its hand-made message encodes byte for byte.
    @Test func vodozemacOlmMessages() throws {
        let fixture = try Fixture.load("vodozemac_olm_messages")
        let preKey = try OlmMessage(type: 0, body: fixture["pre_key_message"] as! String)
        guard case .preKey(let preKeyMessage) = preKey else {
            Issue.record("not a pre-key message")
            return
        }
        #expect(preKeyMessage.message.ciphertext == (fixture["pre_key_message_ciphertext"] as! [Int]).map { UInt8($0) })
        #expect(preKey.body == fixture["pre_key_message"] as! String)

        let normal = try OlmMessage(type: 1, body: fixture["message"] as! String)
        #expect(normal.normalMessage.ciphertext == (fixture["message_ciphertext"] as! [Int]).map { UInt8($0) })
        #expect(normal.body == fixture["message"] as! String)

        let encode = fixture["encode"] as! [String: Any]
        let message = OlmNormalMessage(
            ratchetKey: try Curve25519PublicKey(bytes: Array((encode["ratchet_key_ascii"] as! String).utf8)),
            chainIndex: UInt64(encode["chain_index"] as! Int),
            ciphertext: Array((encode["ciphertext_ascii"] as! String).utf8),
            mac: Array((encode["mac_ascii"] as! String).utf8))
        #expect(Hex.encode(message.macBytes) == encode["mac_bytes_hex"] as! String)
        #expect(Hex.encode(message.bytes) == encode["bytes_hex"] as! String)
        #expect(try OlmNormalMessage(bytes: message.bytes) == message)
    }

    /// vodozemac's key IDs: the counter as 8 big-endian bytes.
    @Test func keyIDs() {
        #expect(KeyID(0).base64 == "AAAAAAAAAAA")
        #expect(KeyID(7).base64 == "AAAAAAAAAAc")
    }
}
