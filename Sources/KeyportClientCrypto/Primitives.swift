import Crypto
import Foundation
import _CryptoExtras

/// The primitives Olm and Megolm are built on, each a thin call into swift-crypto: nothing here
/// implements a cipher, a curve or a hash. Keeping them in one place makes the byte conventions
/// (raw 32-byte keys, HKDF salts, MAC truncation) visible and testable against the RFC vectors.
public enum Primitives {
    /// Fresh random bytes from swift-crypto's generator (the system CSPRNG).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(count + 32)
        while output.count < count {
            SymmetricKey(size: .bits256).withUnsafeBytes { output.append(contentsOf: $0) }
        }
        return Array(output.prefix(count))
    }

    /// The X25519 public key for a 32-byte secret.
    public static func x25519PublicKey(secret: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        do {
            return Array(try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret).publicKey.rawRepresentation)
        } catch {
            throw .invalidKey("an X25519 secret key is 32 bytes")
        }
    }

    /// X25519 of our secret and their public key, refusing an all-zero result. A low-order public
    /// key gives zeros whatever our secret is; RFC 7748 §6.1 lets implementations check, and Olm's
    /// security needs each side to contribute. swift-crypto returns the zeros (its BoringSSL
    /// backend ignores X25519's failure code, to behave like CryptoKit), so the check is ours.
    public static func x25519(secret: [UInt8], publicKey: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        guard secret.count == 32, publicKey.count == 32 else {
            throw .invalidKey("X25519 keys are 32 bytes")
        }
        let shared: [UInt8]
        do {
            let privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret)
            let publicKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey)
            let secret = try privateKey.sharedSecretFromKeyAgreement(with: publicKey)
            shared = secret.withUnsafeBytes { Array($0) }
        } catch {
            throw .invalidKey("X25519 keys are 32 bytes")
        }
        if ConstantTime.isAllZero(shared) { throw .allZeroSharedSecret }
        return shared
    }

    /// The Ed25519 public key for a 32-byte seed.
    public static func ed25519PublicKey(seed: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        do {
            return Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation)
        } catch {
            throw .invalidKey("an Ed25519 seed is 32 bytes")
        }
    }

    /// An Ed25519 signature by the key with this 32-byte seed.
    public static func ed25519Sign(seed: [UInt8], message: [UInt8]) throws(ClientCryptoError) -> [UInt8] {
        do {
            return Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: message))
        } catch {
            throw .invalidKey("an Ed25519 seed is 32 bytes")
        }
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`.
    public static func ed25519Verify(publicKey: [UInt8], message: [UInt8], signature: [UInt8]) -> Bool {
        guard publicKey.count == 32, signature.count == 64,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// HKDF-SHA-256 (RFC 5869). Olm passes a one-zero-byte salt where it has none, which HMAC
    /// pads to the same key as the empty salt.
    public static func hkdfSHA256(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: inputKeyMaterial), salt: salt, info: info, outputByteCount: count)
        return key.withUnsafeBytes { Array($0) }
    }

    /// HMAC-SHA-256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// SHA-256 of `message`.
    public static func sha256(_ message: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: message))
    }

    /// AES-256-CBC with PKCS#7 padding.
    public static func aes256CBCEncrypt(key: [UInt8], iv: [UInt8], plaintext: [UInt8]) throws(ClientCryptoError)
        -> [UInt8]
    {
        do {
            let iv = try AES._CBC.IV(ivBytes: iv)
            return Array(try AES._CBC.encrypt(plaintext, using: SymmetricKey(data: key), iv: iv))
        } catch {
            throw .invalidKey("AES-256-CBC takes a 32-byte key and a 16-byte IV")
        }
    }

    /// AES-256-CBC decryption, PKCS#7 padding checked and removed.
    public static func aes256CBCDecrypt(key: [UInt8], iv: [UInt8], ciphertext: [UInt8]) throws(ClientCryptoError)
        -> [UInt8]
    {
        guard key.count == 32, iv.count == 16 else {
            throw .invalidKey("AES-256-CBC takes a 32-byte key and a 16-byte IV")
        }
        guard !ciphertext.isEmpty, ciphertext.count % 16 == 0 else { throw .badPadding }
        do {
            let iv = try AES._CBC.IV(ivBytes: iv)
            return Array(try AES._CBC.decrypt(ciphertext, using: SymmetricKey(data: key), iv: iv))
        } catch {
            throw .badPadding
        }
    }
}
