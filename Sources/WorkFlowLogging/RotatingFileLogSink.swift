import Foundation
import Synchronization

/// Appends lines in the seed's JSON format (``LogLine/seedJSON(timeZone:)``) to
/// `<directory>/<fileName>`, rotating by size like the seed's `RotatingFileHandler`:
/// `wf.log` → `wf.log.1` → `wf.log.2` ..., keeping `backupCount` old files.
///
/// At most once a second (before a batch) the path is checked against the open file, so a file
/// deleted or moved away by someone else (logrotate, an operator, another WorkFlow process
/// rotating) is reopened instead of written into the void; in between, the size is counted
/// from what this process wrote. (Checking before every line cost a `stat` per line.) Writes
/// use `O_APPEND`, so processes sharing the file never overwrite each other's lines.
public final class RotatingFileLogSink: LogSink {
    public let directory: String
    public let fileName: String
    /// The size a file may reach before it is rotated; 0 never rotates.
    public let maxBytes: Int
    /// How many rotated files are kept; 0 keeps none (the file starts again empty).
    public let backupCount: Int
    public let timeZone: TimeZone
    private let permissions: mode_t

    private struct OpenFile {
        var fd: Int32 = -1
        var device: dev_t = 0
        var inode: ino_t = 0
        /// The file's size as last seen, plus what was written since.
        var size = 0
        /// When the path was last checked against the file (`DispatchTime` nanoseconds).
        var checkedAt: UInt64 = 0
    }

    /// How often the path is checked against the open file, in nanoseconds.
    private let checkInterval: UInt64

    private let state = Mutex(OpenFile())

    /// - Parameters:
    ///   - directory: created (with its parents) when missing.
    ///   - timeZone: the zone of the `time` field; the seed wrote local time.
    ///   - permissions: of a newly created file.
    ///   - pathCheckInterval: how often the path is checked against the open file.
    public init(
        directory: String, fileName: String, maxBytes: Int, backupCount: Int, timeZone: TimeZone = .current,
        permissions: mode_t = 0o640, pathCheckInterval: Duration = .seconds(1)
    ) {
        let (seconds, attoseconds) = pathCheckInterval.components
        self.checkInterval = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.directory = directory
        self.fileName = fileName
        self.maxBytes = max(0, maxBytes)
        self.backupCount = max(0, backupCount)
        self.timeZone = timeZone
        self.permissions = permissions
    }

    deinit {
        state.withLock { file in
            if file.fd >= 0 { closeDescriptor(file.fd) }
        }
    }

    /// The log file's full path.
    public var path: String { directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName }

    public func write(_ lines: [LogLine]) throws {
        guard !lines.isEmpty else { return }
        let encoded = lines.map { Array(($0.seedJSON(timeZone: timeZone) + "\n").utf8) }
        try state.withLock { file throws(LogSinkError) in
            var size = try openIfNeeded(&file)
            var pending: [UInt8] = []
            for bytes in encoded {
                // A line longer than maxBytes still goes into a file of its own.
                if maxBytes > 0, size > 0, size + bytes.count > maxBytes {
                    try append(&pending, to: file)
                    try rotate(&file)
                    size = try openIfNeeded(&file)
                }
                pending.append(contentsOf: bytes)
                size += bytes.count
            }
            try append(&pending, to: file)
            file.size = size
        }
    }

    /// Closes the file; the next write opens it again.
    public func close() {
        state.withLock { file in
            if file.fd >= 0 { closeDescriptor(file.fd) }
            file = OpenFile()
        }
    }

    /// Makes sure `file` is open on what `path` names now; returns the file's size.
    private func openIfNeeded(_ file: inout OpenFile) throws(LogSinkError) -> Int {
        var info = stat()
        let now = DispatchTime.now().uptimeNanoseconds
        if file.fd >= 0 {
            if now &- file.checkedAt < checkInterval { return file.size }
            if stat(path, &info) == 0, info.st_dev == file.device, info.st_ino == file.inode {
                file.size = Int(info.st_size)
                file.checkedAt = now
                return file.size
            }
            closeDescriptor(file.fd)
            file = OpenFile()
        }
        var fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, permissions)
        if fd < 0, errno == ENOENT {
            try createDirectory()
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, permissions)
        }
        guard fd >= 0 else { throw LogSinkError(operation: "open \(path)", code: errno) }
        guard fstat(fd, &info) == 0 else {
            let code = errno
            closeDescriptor(fd)
            throw LogSinkError(operation: "inspect \(path)", code: code)
        }
        file = OpenFile(fd: fd, device: info.st_dev, inode: info.st_ino, size: Int(info.st_size), checkedAt: now)
        return file.size
    }

    private func createDirectory() throws(LogSinkError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LogSinkError(operation: "create the folder \(directory)", reason: "\(error)")
        }
    }

    private func append(_ bytes: inout [UInt8], to file: OpenFile) throws(LogSinkError) {
        guard !bytes.isEmpty else { return }
        defer { bytes.removeAll(keepingCapacity: true) }
        if let code = FileDescriptorWriter.writeAll(&bytes, to: file.fd) {
            throw LogSinkError(operation: "write to \(path)", code: code)
        }
    }

    /// Shifts `file.N-1` → `file.N` ... `file` → `file.1`, the oldest falling off the end; with
    /// no backups the file is simply removed.
    private func rotate(_ file: inout OpenFile) throws(LogSinkError) {
        closeDescriptor(file.fd)
        file = OpenFile()
        if backupCount > 0 {
            for index in stride(from: backupCount - 1, through: 1, by: -1) {
                let from = "\(path).\(index)"
                if access(from, F_OK) == 0, rename(from, "\(path).\(index + 1)") != 0 {
                    throw LogSinkError(operation: "rename \(from)", code: errno)
                }
            }
            if rename(path, "\(path).1") != 0, errno != ENOENT {
                throw LogSinkError(operation: "rename \(path)", code: errno)
            }
        } else if unlink(path) != 0, errno != ENOENT {
            throw LogSinkError(operation: "remove \(path)", code: errno)
        }
    }
}
