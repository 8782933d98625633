import Crypto
import Foundation

/// Encrypts short secrets (webhook HMAC secrets, secret variables) with AES-256-GCM under the
/// master key, for storing them in the database.
///
/// A sealed secret is text: `v1:<base64 of nonce (12 bytes) + ciphertext + tag (16 bytes)>`.
/// The version prefix lets a later format (or a rotated key) live beside this one. Each secret
/// is sealed for a `purpose` (such as `webhook.hmac`), which is authenticated but not stored:
/// a value copied from one kind of column into another does not decrypt.
public struct SecretBox: Sendable {
    /// The prefix of the only format this version writes and reads.
    public static let formatVersion = "v1"
    /// AES-GCM's nonce and tag sizes, in bytes.
    static let nonceLength = 12
    static let tagLength = 16

    private let key: SymmetricKey

    /// A box for `key`, which must be 256 bits long.
    public init(key: SymmetricKey) throws(SecretBoxError) {
        guard key.bitCount == 256 else { throw SecretBoxError.wrongKeyLength(bits: key.bitCount) }
        self.key = key
    }

    /// Encrypts `secret` with a fresh random nonce; two seals of one secret differ.
    public func seal(_ secret: String, purpose: String) throws(SecretBoxError) -> String {
        do {
            let box = try AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Self.associatedData(purpose))
            guard let combined = box.combined else { throw SecretBoxError.sealFailed("the sealed box has no combined form") }
            return "\(Self.formatVersion):\(combined.base64EncodedString())"
        } catch let error as SecretBoxError {
            throw error
        } catch {
            throw SecretBoxError.sealFailed(String(describing: error))
        }
    }

    /// Decrypts a value made by ``seal(_:purpose:)`` with the same key and purpose.
    public func open(_ sealed: String, purpose: String) throws(SecretBoxError) -> String {
        guard let colon = sealed.firstIndex(of: ":") else {
            throw SecretBoxError.malformed("expected '\(Self.formatVersion):<base64>', found no version prefix")
        }
        let version = String(sealed[..<colon])
        guard version == Self.formatVersion else { throw SecretBoxError.unsupportedVersion(version) }
        guard let combined = Data(base64Encoded: String(sealed[sealed.index(after: colon)...])) else {
            throw SecretBoxError.malformed("the text after '\(version):' is not base64")
        }
        guard combined.count >= Self.nonceLength + Self.tagLength else {
            throw SecretBoxError.malformed("\(combined.count) bytes is shorter than a nonce and a tag")
        }
        let plain: Data
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            plain = try AES.GCM.open(box, using: key, authenticating: Self.associatedData(purpose))
        } catch {
            throw SecretBoxError.cannotDecrypt
        }
        guard let text = String(data: plain, encoding: .utf8) else {
            throw SecretBoxError.malformed("the decrypted secret is not UTF-8 text")
        }
        return text
    }

    private static func associatedData(_ purpose: String) -> Data {
        Data("workflow.\(formatVersion).\(purpose)".utf8)
    }
}

/// What can go wrong with the master key or a sealed secret, worded for the operator.
public enum SecretBoxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The master key file may be read or written by others than its owner.
    case keyFileTooOpen(path: String, mode: UInt16)
    /// The master key file is missing while a stored secret needs it.
    case keyFileMissing(path: String)
    /// The master key file does not hold exactly 32 bytes.
    case keyFileWrongSize(path: String, size: Int)
    /// The master key file exists but cannot be read.
    case keyFileUnreadable(path: String, reason: String)
    /// The master key file could not be created.
    case keyFileNotCreated(path: String, reason: String)
    /// A key that is not 256 bits long.
    case wrongKeyLength(bits: Int)
    /// A sealed value is not in the `v1:<base64>` format.
    case malformed(String)
    /// A sealed value in a format this version cannot read.
    case unsupportedVersion(String)
    /// Authentication failed: another key, another purpose, or altered bytes.
    case cannotDecrypt
    /// Encryption failed (not expected with a valid key).
    case sealFailed(String)

    public var description: String {
        switch self {
        case .keyFileTooOpen(let path, let mode):
            "the master key file \(path) has mode \(String(mode, radix: 8)); it must be readable by its owner only "
                + "(chmod 600 \(path)) — refusing to use it"
        case .keyFileMissing(let path):
            "the master key file \(path) does not exist, and the stored secrets were encrypted under it — "
                + "restore the file from the backup taken with the database"
        case .keyFileWrongSize(let path, let size):
            "the master key file \(path) holds \(size) bytes; a master key is exactly 32 bytes — "
                + "restore the file from the backup taken with the database"
        case .keyFileUnreadable(let path, let reason):
            "cannot read the master key file \(path): \(reason)"
        case .keyFileNotCreated(let path, let reason):
            "cannot create the master key file \(path): \(reason)"
        case .wrongKeyLength(let bits):
            "a master key must be 256 bits long, not \(bits)"
        case .malformed(let reason):
            "the encrypted secret is malformed: \(reason)"
        case .unsupportedVersion(let version):
            "the encrypted secret is in format '\(version)', which this version of WorkFlow cannot read "
                + "(it reads '\(SecretBox.formatVersion)')"
        case .cannotDecrypt:
            "the encrypted secret cannot be decrypted: it was encrypted under another master key, "
                + "or for another purpose, or it has been altered"
        case .sealFailed(let reason):
            "cannot encrypt the secret: \(reason)"
        }
    }
}
