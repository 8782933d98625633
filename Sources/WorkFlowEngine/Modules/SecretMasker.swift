import Foundation
import Synchronization

/// Hides secrets before anything is logged or recorded: the values of secret system variables
/// wherever they appear, and the values of parameters whose names say they are secret
/// (`password`, `token`, ...). The seed logged and stored these verbatim.
public struct SecretMasker: Sendable, Equatable {
    /// What a hidden value is replaced with.
    public static let mask = "******"

    /// Name fragments that mark a parameter as secret, compared case-insensitively.
    public static let sensitiveNameFragments = [
        "password", "passwd", "pwd", "passphrase", "secret", "token", "api_key", "apikey", "api-key", "private_key", "credential",
        "authorization", "bearer", "cookie",
    ]

    /// Literal secret values; shorter than 3 characters are ignored so that masking stays readable.
    public private(set) var secrets: [String]

    public init(secrets: [String] = []) {
        self.secrets = []
        for secret in secrets { add(secret) }
    }

    public mutating func add(_ secret: String) {
        guard secret.count >= 3, !secrets.contains(secret) else { return }
        secrets.append(secret)
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort { $0.count > $1.count }
    }

    public static func isSensitive(name: String) -> Bool {
        let lower = name.lowercased()
        return sensitiveNameFragments.contains { lower.containsBytes($0) }
    }

    /// `text` with every known secret replaced.
    public func mask(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var out = text
        for secret in secrets where out.containsBytes(secret) {
            out = out.replacingOccurrences(of: secret, with: Self.mask)
        }
        return out
    }

    /// `value` with secret-named members and known secrets hidden, recursively.
    public func mask(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(mask(s))
        case .array(let a): return .array(a.map { mask($0) })
        case .object(let o):
            var out = JSONObject(minimumCapacity: o.count)
            for (key, member) in o {
                if Self.isSensitive(name: key), !member.isNull, !(member.objectValue != nil || member.arrayValue != nil) {
                    out[key] = .string(Self.mask)
                } else {
                    out[key] = mask(member)
                }
            }
            return .object(out)
        default: return value
        }
    }
}

/// The secrets a run has seen so far, shared by its steps' loggers and records.
public final class RunSecrets: Sendable {
    private let state: Mutex<SecretMasker>

    public init(_ masker: SecretMasker = SecretMasker()) {
        state = Mutex(masker)
    }

    /// Remembers secret values so that every later log line and record hides them.
    public func add(_ secrets: [String]) {
        guard !secrets.isEmpty else { return }
        state.withLock { masker in
            for secret in secrets { masker.add(secret) }
        }
    }

    /// A snapshot of the masker.
    public var masker: SecretMasker { state.withLock { $0 } }
}
