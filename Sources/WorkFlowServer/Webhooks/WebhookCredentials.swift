import Crypto
import Foundation
import WorkFlowStore

/// Webhook URL tokens: `wfh_` and 40 random letters and digits (about 238 bits). Only the
/// SHA-256 of the whole token is stored, with its first 12 characters for display; the token
/// is a high-entropy secret, so a slow hash would add nothing.
public enum WebhookToken {
    public static let scheme = "wfh"
    static let randomLength = 40
    static let prefixLength = 12

    /// A new token and what the store keeps of it.
    public static func generate() -> (plain: String, digest: WebhookTokenDigest) {
        let plain = "\(scheme)_\(SecretTokens.random(length: randomLength))"
        return (plain, WebhookTokenDigest(hash: SecretTokens.sha256Hex(plain), prefix: String(plain.prefix(prefixLength))))
    }

    /// The hash to look a presented token up by, or `nil` when it is not shaped like one of ours
    /// (then no lookup is needed: no webhook has it).
    public static func hash(of token: String) -> String? {
        let expectedLength = scheme.count + 1 + randomLength
        guard token.utf8.count == expectedLength, token.hasPrefix("\(scheme)_"),
            token.utf8.dropFirst(scheme.count + 1).allSatisfy({ $0.isASCIIAlphanumeric })
        else { return nil }
        return SecretTokens.sha256Hex(token)
    }

    /// The path a webhook is called at.
    public static func path(_ token: String) -> String { "/hooks/\(token)" }
}

/// Signed calls: `X-WorkFlow-Signature: sha256=<lower-case hex HMAC-SHA256 of the raw body>`,
/// keyed with the UTF-8 bytes of the webhook's secret (so `openssl dgst -sha256 -hmac "$SECRET"`
/// computes it).
public enum WebhookSignature {
    public static let headerName = "X-WorkFlow-Signature"
    static let scheme = "sha256="
    /// What the server seals the secret for (see ``SecretBox``).
    static let sealPurpose = "webhook.hmac"

    /// A new secret: 40 random letters and digits.
    public static func generateSecret() -> String {
        SecretTokens.random(length: 40)
    }

    /// The header value for `body` signed with `secret`.
    public static func sign(_ body: some DataProtocol, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return scheme + SecretTokens.hex(code)
    }

    /// Whether `header` is a correct signature of `body`. The comparison of the codes takes the
    /// same time wherever they differ (swift-crypto's `isValidAuthenticationCode`).
    public static func isValid(_ header: String?, body: some DataProtocol, secret: String) -> Bool {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix(scheme),
            let code = bytes(fromHex: header.dropFirst(scheme.count)), code.count == SHA256.byteCount
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    private static func bytes(fromHex text: Substring) -> Data? {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes = Data(capacity: digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
