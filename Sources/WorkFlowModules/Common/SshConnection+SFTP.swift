import CLibSSH2
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension SshConnection {
    /// Copies a local file to `remotePath` (replacing a file there) and returns the bytes sent.
    /// With `preserveMode`, the remote file gets the local file's permission bits.
    func upload(localPath: String, remotePath: String, preserveMode: Bool) async throws(SshError) -> Int64 {
        try await perform { abort throws(SshError) in
            try self.forgettingSFTPWhenInterrupted { () throws(SshError) in
                try self.uploadOnQueue(localPath: localPath, remotePath: remotePath, preserveMode: preserveMode, abort: abort)
            }
        }
    }

    /// Copies `remotePath` to a local file and returns the bytes received. The data goes to a
    /// temporary file beside `localPath`, renamed into place only when complete.
    func download(remotePath: String, localPath: String) async throws(SshError) -> Int64 {
        try await perform { abort throws(SshError) in
            try self.forgettingSFTPWhenInterrupted { () throws(SshError) in
                try self.downloadOnQueue(remotePath: remotePath, localPath: localPath, abort: abort)
            }
        }
    }

    /// Each SFTP call may wait this long; any progress starts a new wait.
    private var idleDeadline: ContinuousClock.Instant {
        .now + .milliseconds(Int64(idleTimeoutSeconds * 1000))
    }

    private func uploadOnQueue(localPath: String, remotePath: String, preserveMode: Bool, abort: SshAbortFlag) throws(SshError) -> Int64 {
        var info = stat()
        guard stat(localPath, &info) == 0 else {
            throw SshError(kind: .localFile, message: "cannot read the local file \(localPath): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SshError(kind: .localFile, message: "the local path \(localPath) is not a regular file")
        }
        let mode = Int(info.st_mode & 0o777)
        let fd = open(localPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SshError(kind: .localFile, message: "cannot read the local file \(localPath): \(String(cString: strerror(errno)))")
        }
        defer { closeDescriptor(fd) }

        let sftp = try sftpSession(abort: abort)
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        let handle = try openRemote(sftp, remotePath, flags: flags, mode: preserveMode ? mode : 0o644, forUpload: true, abort: abort)
        var total: Int64 = 0
        do throws(SshError) {
            var buffer = [UInt8](repeating: 0, count: 32_768)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count == 0 { break }
                guard count > 0 else {
                    throw SshError(kind: .localFile, message: "reading the local file \(localPath) failed: \(String(cString: strerror(errno)))")
                }
                var offset = 0
                while offset < count {
                    let sent = try retry(deadline: idleDeadline, abort: abort, doing: "uploading to \(remotePath)") {
                        buffer.withUnsafeBytes { raw in
                            libssh2_sftp_write(handle, raw.baseAddress?.advanced(by: offset).assumingMemoryBound(to: CChar.self), count - offset)
                        }
                    }
                    guard sent > 0 else { throw sftpFailure(sftp, "writing \(remotePath)") }
                    offset += sent
                    total += Int64(sent)
                }
            }
        } catch {
            closeRemote(handle)
            throw error
        }
        let closed = try retry(deadline: idleDeadline, abort: abort, doing: "closing \(remotePath)") { libssh2_sftp_close_handle(handle) }
        guard closed == 0 else { throw sftpFailure(sftp, "closing \(remotePath)") }
        if preserveMode {
            var attributes = LIBSSH2_SFTP_ATTRIBUTES()
            attributes.flags = UInt(LIBSSH2_SFTP_ATTR_PERMISSIONS)
            attributes.permissions = UInt(mode)
            let set = try retry(deadline: idleDeadline, abort: abort, doing: "setting the mode of \(remotePath)") {
                libssh2_sftp_stat_ex(sftp, remotePath, UInt32(remotePath.utf8.count), LIBSSH2_SFTP_SETSTAT, &attributes)
            }
            guard set == 0 else { throw sftpFailure(sftp, "setting the permissions of \(remotePath) (the data was uploaded)") }
        }
        return total
    }

    private func downloadOnQueue(remotePath: String, localPath: String, abort: SshAbortFlag) throws(SshError) -> Int64 {
        let url = URL(fileURLWithPath: localPath)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw SshError(kind: .localFile, message: "the local folder \(folder) does not exist (download creates no folders)")
        }
        let sftp = try sftpSession(abort: abort)
        let handle = try openRemote(sftp, remotePath, flags: UInt(LIBSSH2_FXF_READ), mode: 0, forUpload: false, abort: abort)

        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).workflow-part-\(UUID().uuidString)").path
        let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            closeRemote(handle)
            throw SshError(kind: .localFile, message: "cannot write in the local folder \(folder): \(String(cString: strerror(errno)))")
        }
        var total: Int64 = 0
        var remoteOpen = true
        var localOpen = true
        do throws(SshError) {
            var buffer = [UInt8](repeating: 0, count: 32_768)
            while true {
                let count = try retry(deadline: idleDeadline, abort: abort, doing: "downloading \(remotePath)") {
                    buffer.withUnsafeMutableBytes { libssh2_sftp_read(handle, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
                }
                if count == 0 { break }
                guard count > 0 else { throw sftpFailure(sftp, "reading \(remotePath)") }
                var offset = 0
                while offset < count {
                    let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress?.advanced(by: offset), count - offset) }
                    guard written > 0 else {
                        throw SshError(kind: .localFile, message: "writing \(localPath) failed: \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
                total += Int64(count)
            }
            remoteOpen = false
            let closed = try retry(deadline: idleDeadline, abort: abort, doing: "closing \(remotePath)") { libssh2_sftp_close_handle(handle) }
            guard closed == 0 else { throw sftpFailure(sftp, "closing \(remotePath)") }
            localOpen = false
            guard closeDescriptor(fd) == 0 else {
                throw SshError(kind: .localFile, message: "writing \(localPath) failed: \(String(cString: strerror(errno)))")
            }
            guard rename(partial, localPath) == 0 else {
                throw SshError(kind: .localFile, message: "cannot move the download to \(localPath): \(String(cString: strerror(errno)))")
            }
            return total
        } catch {
            if remoteOpen { closeRemote(handle) }
            if localOpen { closeDescriptor(fd) }
            unlink(partial)
            throw error
        }
    }

    /// Runs an SFTP operation and, when a timeout or cancel cut it off, forgets the SFTP session:
    /// libssh2 1.10 keeps a half-done non-blocking call's state (its request id) in the session,
    /// and the next call would take that old reply as its own (an upload to B writing into A).
    /// The next transfer starts a fresh session; the abandoned one goes with the connection.
    private func forgettingSFTPWhenInterrupted<T>(_ operation: () throws(SshError) -> T) throws(SshError) -> T {
        do {
            return try operation()
        } catch {
            if error.kind == .timeout || error.kind == .cancelled { sftp = nil }
            throw error
        }
    }

    /// The connection's SFTP session, started on first use.
    private func sftpSession(abort: SshAbortFlag) throws(SshError) -> OpaquePointer {
        if let sftp { return sftp }
        guard let session else { throw SshError(kind: .sftp, message: "the SSH connection is closed") }
        guard let started = try retryHandle(deadline: idleDeadline, abort: abort, doing: "starting SFTP", { libssh2_sftp_init(session) }) else {
            throw SshError(kind: .sftp, message: "cannot start SFTP on \(host):\(port) (is the server's sftp subsystem enabled?): \(lastErrorText())")
        }
        sftp = started
        return started
    }

    private func openRemote(
        _ sftp: OpaquePointer, _ path: String, flags: UInt, mode: Int, forUpload: Bool, abort: SshAbortFlag
    ) throws(SshError) -> OpaquePointer {
        let opened = try retryHandle(deadline: idleDeadline, abort: abort, doing: "opening \(path)") {
            libssh2_sftp_open_ex(sftp, path, UInt32(path.utf8.count), flags, mode, LIBSSH2_SFTP_OPENFILE)
        }
        if let opened { return opened }
        let code = sftpStatus(sftp)
        if code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH {
            let folder = (path as NSString).deletingLastPathComponent
            throw SshError(
                kind: .sftp,
                message: forUpload
                    ? "the remote folder \(folder.isEmpty ? "." : folder) does not exist (upload creates no folders)"
                    : "the remote file \(path) does not exist")
        }
        throw sftpFailure(sftp, "opening \(path)")
    }

    /// The SFTP status code of the last failure, when the failure was an SFTP status.
    private func sftpStatus(_ sftp: OpaquePointer) -> UInt? {
        guard let session, libssh2_session_last_errno(session) == LIBSSH2_ERROR_SFTP_PROTOCOL else { return nil }
        return libssh2_sftp_last_error(sftp)
    }

    private func sftpFailure(_ sftp: OpaquePointer, _ doing: String) -> SshError {
        let reason: String
        if let code = sftpStatus(sftp) {
            reason =
                code == LIBSSH2_FX_PERMISSION_DENIED ? "permission denied"
                : code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH ? "no such file" : "SFTP status \(code)"
        } else {
            reason = lastErrorText()
        }
        return SshError(kind: .sftp, message: "\(doing) failed: \(reason)")
    }

    /// Closes a remote file after a failure, giving up after a moment.
    private func closeRemote(_ handle: OpaquePointer) {
        _ = try? retry(deadline: .now + .milliseconds(500), abort: SshAbortFlag(), doing: "closing a remote file") {
            libssh2_sftp_close_handle(handle)
        }
    }
}
