import Testing

@testable import KeyportClientCrypto

/// The primitives as KeyportClientCrypto calls them, against their RFCs' own vectors: if a
/// convention (key form, salt, output length) were wrong here, every Olm and Megolm byte would be.
@Suite struct PrimitiveVectorTests {
    /// RFC 7748 §6.1: Alice's and Bob's keys and their shared secret, both ways.
    @Test func x25519RFC7748() throws {
        let alice = Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bob = Hex.decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        let alicePublic = try Primitives.x25519PublicKey(secret: alice)
        let bobPublic = try Primitives.x25519PublicKey(secret: bob)
        #expect(Hex.encode(alicePublic) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(Hex.encode(bobPublic) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(Hex.encode(try Primitives.x25519(secret: alice, publicKey: bobPublic)) == shared)
        #expect(Hex.encode(try Primitives.x25519(secret: bob, publicKey: alicePublic)) == shared)
    }

    /// RFC 8032 §7.1 tests 1–3: public key from seed, signature, verification, and a flipped bit
    /// refused.
    @Test(arguments: [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        ),
    ])
    func ed25519RFC8032(seed: String, publicKey: String, message: String, signature: String) throws {
        let keyPair = try Ed25519KeyPair(seed: Hex.decode(seed))
        #expect(Hex.encode(keyPair.publicKey.bytes) == publicKey)
        #expect(keyPair.publicKey.verify(Hex.decode(message), signature: Hex.decode(signature)))
        let ours = keyPair.sign(Hex.decode(message))
        #expect(keyPair.publicKey.verify(Hex.decode(message), signature: ours))
        #if !canImport(Darwin)
            // BoringSSL signs deterministically, as RFC 8032 does; CryptoKit adds randomness.
            #expect(Hex.encode(ours) == signature)
        #endif
        var tampered = Hex.decode(signature)
        tampered[10] ^= 1
        #expect(!keyPair.publicKey.verify(Hex.decode(message), signature: tampered))
    }

    /// RFC 5869 appendix A, test cases 1–3 (SHA-256).
    @Test func hkdfRFC5869() {
        let case1 = Primitives.hkdfSHA256(
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22), salt: Hex.decode("000102030405060708090a0b0c"),
            info: Hex.decode("f0f1f2f3f4f5f6f7f8f9"), count: 42)
        #expect(
            Hex.encode(case1)
                == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        let case2 = Primitives.hkdfSHA256(
            inputKeyMaterial: (0x00...0x4f).map { UInt8($0) }, salt: (0x60...0xaf).map { UInt8($0) },
            info: (0xb0...0xff).map { UInt8($0) }, count: 82)
        #expect(
            Hex.encode(case2)
                == "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"
        )
        let case3 = Primitives.hkdfSHA256(
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [], count: 42)
        #expect(
            Hex.encode(case3)
                == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        // Olm's one-zero-byte salt is the same HMAC key as the empty salt.
        let zeroSalt = Primitives.hkdfSHA256(
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22), salt: [0], info: [], count: 42)
        #expect(zeroSalt == case3)
    }

    /// AES-256-CBC with PKCS#7: a round trip, and a full padding block for a 16-byte plaintext.
    @Test func aesCBCRoundTrip() throws {
        let key = [UInt8](repeating: 7, count: 32)
        let iv = [UInt8](repeating: 9, count: 16)
        let plaintext = Array("sixteen byte msg".utf8)
        let ciphertext = try Primitives.aes256CBCEncrypt(key: key, iv: iv, plaintext: plaintext)
        #expect(ciphertext.count == 32)
        #expect(try Primitives.aes256CBCDecrypt(key: key, iv: iv, ciphertext: ciphertext) == plaintext)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.isAllZero([0, 0, 0]))
        #expect(!ConstantTime.isAllZero([0, 0, 1]))
    }
}
