import Crypto
import Synchronization

/// The server's ``SecretBox``, made from the master key file on first use and kept.
///
/// A server that never stores a secret never creates `master.key`; one whose file exists
/// checks it at start (``checkAtStart()``) and refuses to start when it is unusable.
public final class SecretBoxLoader: Sendable {
    public let file: MasterKeyFile
    private let box = Mutex<SecretBox?>(nil)

    public init(file: MasterKeyFile) {
        self.file = file
    }

    /// The box, loading the key the first time. Sealing a new secret may create the file
    /// (`createIfMissing`); opening a stored one must not, since a new key cannot open it.
    public func secretBox(createIfMissing: Bool) throws(SecretBoxError) -> SecretBox {
        // The lock is held across the file access on purpose: it happens once, and two callers
        // must not both create a key.
        let found: Result<SecretBox, SecretBoxError> = box.withLock { cached in
            if let cached { return .success(cached) }
            do throws(SecretBoxError) {
                let key: SymmetricKey
                if createIfMissing {
                    key = try file.loadOrCreate()
                } else {
                    guard let loaded = try file.load() else { throw SecretBoxError.keyFileMissing(path: file.path) }
                    key = loaded
                }
                let made = try SecretBox(key: key)
                cached = made
                return .success(made)
            } catch {
                return .failure(error)
            }
        }
        return try found.get()
    }

    /// Loads the key when the file exists, so that a bad file stops the server at start rather
    /// than at the first webhook call. A missing file is fine: it is created on first use.
    public func checkAtStart() throws(SecretBoxError) {
        guard let key = try file.load() else { return }
        let made = try SecretBox(key: key)
        box.withLock { $0 = made }
    }
}
