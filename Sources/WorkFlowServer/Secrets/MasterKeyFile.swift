import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The master key file, `$WORKFLOW_HOME/master.key`: 32 random bytes, readable by its owner only.
///
/// Losing the file loses every secret sealed under it, so it is backed up with the database.
/// A file that others may read, or that has the wrong size, is refused rather than used or
/// replaced: either would hide a mistake that costs the secrets later.
public struct MasterKeyFile: Sendable {
    public static let fileName = "master.key"
    /// The key's length in bytes (AES-256).
    public static let keyLength = 32

    /// Where the key lives.
    public let path: String

    /// The key file in `home` (`$WORKFLOW_HOME`).
    public init(home: String) {
        path = URL(fileURLWithPath: home).appendingPathComponent(Self.fileName).path
    }

    public init(path: String) {
        self.path = path
    }

    /// The key, or `nil` when the file does not exist.
    ///
    /// Throws when the file exists but is open to others than its owner (any group or other
    /// permission bit), is not a regular file, cannot be read, or does not hold exactly 32 bytes.
    public func load() throws(SecretBoxError) -> SymmetricKey? {
        let descriptor = openFile(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw SecretBoxError.keyFileUnreadable(path: path, reason: Self.describe(code))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw SecretBoxError.keyFileUnreadable(path: path, reason: Self.describe(errno))
        }
        // 0o170000 is S_IFMT and 0o100000 S_IFREG, spelled out because not every libc's macros import.
        guard UInt32(info.st_mode) & 0o170000 == 0o100000 else {
            throw SecretBoxError.keyFileUnreadable(path: path, reason: "it is not a regular file")
        }
        let mode = UInt16(truncatingIfNeeded: UInt32(info.st_mode) & 0o777)
        guard mode & 0o077 == 0 else { throw SecretBoxError.keyFileTooOpen(path: path, mode: mode) }
        guard Int(info.st_size) == Self.keyLength else { throw SecretBoxError.keyFileWrongSize(path: path, size: Int(info.st_size)) }
        var bytes = [UInt8](repeating: 0, count: Self.keyLength)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw SecretBoxError.keyFileUnreadable(path: path, reason: count == 0 ? "the file ended early" : Self.describe(errno))
            }
            filled += count
        }
        return SymmetricKey(data: bytes)
    }

    /// The key, creating the file with 32 random bytes (mode 0600) when it does not exist.
    ///
    /// The new key is written to a temporary file that is then hard-linked into place, so another
    /// process never sees a half-written key, and of two processes creating it at once, the first
    /// link wins and both use its key.
    public func loadOrCreate() throws(SecretBoxError) -> SymmetricKey {
        if let key = try load() { return key }
        try create()
        guard let key = try load() else {
            throw SecretBoxError.keyFileNotCreated(path: path, reason: "the file disappeared right after it was created")
        }
        return key
    }

    private func create() throws(SecretBoxError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw SecretBoxError.keyFileNotCreated(path: path, reason: "cannot create the folder \(folder): \(error.localizedDescription)")
        }
        let temporary = "\(path).\(UUID().uuidString).tmp"
        defer { unlink(temporary) }
        let descriptor = openFile(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SecretBoxError.keyFileNotCreated(path: path, reason: Self.describe(errno)) }
        let key = SymmetricKey(size: .bits256)
        let written = key.withUnsafeBytes { buffer in write(descriptor, buffer.baseAddress!, buffer.count) }
        let synced = fsync(descriptor) == 0
        let writeError = errno
        close(descriptor)
        guard written == Self.keyLength, synced else {
            throw SecretBoxError.keyFileNotCreated(path: path, reason: Self.describe(writeError))
        }
        if link(temporary, path) != 0, errno != EEXIST {
            throw SecretBoxError.keyFileNotCreated(path: path, reason: Self.describe(errno))
        }
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// `open(2)` with a mode, named apart from the many other `open`s in scope.
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}
