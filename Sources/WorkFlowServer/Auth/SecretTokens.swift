import Crypto
import Foundation

/// Random tokens, hashes and comparisons for credentials.
enum SecretTokens {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// `length` characters of A–Z, a–z, 0–9 from the system's secure generator (`getrandom`).
    /// 32 characters carry about 190 bits.
    static func random(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// The SHA-256 of `text` in lower-case hex. Fit for high-entropy secrets (API keys, session
    /// tokens); passwords use bcrypt (``PasswordHasher``).
    static func sha256Hex(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `bytes` in lower-case hex. (`String(format:)` per byte cost a tenth of a request's time.)
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

/// API keys look like `wfk_<prefix>_<secret>`: the 8-character prefix identifies the key (it is
/// shown in lists and stored in clear), the 32-character secret is known only to its holder. The
/// store keeps the SHA-256 of the whole key; a key is high-entropy, so a slow hash adds nothing.
public enum APIKeyFormat {
    public static let scheme = "wfk"

    /// A new key: the text to hand out once, its prefix and its hash.
    public static func generate() -> (plain: String, prefix: String, hash: String) {
        let prefix = SecretTokens.random(length: 8)
        let plain = "\(scheme)_\(prefix)_\(SecretTokens.random(length: 32))"
        return (plain, prefix, SecretTokens.sha256Hex(plain))
    }

    /// The prefix of a presented key, or `nil` when it is not shaped like one of ours.
    public static func prefix(of key: String) -> String? {
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == scheme, parts[1].count == 8, parts[2].count == 32 else { return nil }
        return String(parts[1])
    }
}
