import CLibSSH2
import Foundation

/// How a remote command ended.
struct SshCommandOutcome: Sendable, Equatable {
    /// The exit status; -1 when the command timed out or was killed by a signal.
    var exitCode = -1
    /// The signal that killed the command (`KILL`, `TERM`, ...), if one did.
    var exitSignal: String?
    var stdout = BashCapturedOutput()
    var stderr = BashCapturedOutput()
    var timedOut = false
}

extension SshConnection {
    /// Runs `command` in a new session channel, writes `stdin` to it then closes its input, and
    /// collects stdout and stderr (at most `maxOutputBytes` each) until the command ends or
    /// `timeout` passes. On timeout the channel is closed and the output so far is returned; a
    /// cancelled task throws ``SshError/cancelled`` within a poll slice.
    func execute(_ command: String, stdin: [UInt8] = [], timeout: Duration, maxOutputBytes: Int) async throws(SshError) -> SshCommandOutcome {
        try await perform { abort throws(SshError) in
            try self.executeOnQueue(command, stdin: stdin, deadline: .now + timeout, maxOutputBytes: maxOutputBytes, abort: abort)
        }
    }

    private func executeOnQueue(
        _ command: String, stdin: [UInt8], deadline: ContinuousClock.Instant, maxOutputBytes: Int, abort: SshAbortFlag
    ) throws(SshError) -> SshCommandOutcome {
        guard let session else { throw SshError(kind: .channel, message: "the SSH connection is closed") }
        var outcome = SshCommandOutcome()
        var channel: OpaquePointer?
        do throws(SshError) {
            channel = try retryHandle(deadline: deadline, abort: abort, doing: "opening an SSH channel") {
                libssh2_channel_open_ex(session, "session", 7, 2 * 1024 * 1024, 32_768, nil, 0)
            }
            guard let channel else {
                throw SshError(kind: .channel, message: "cannot open an SSH channel: \(lastErrorText())")
            }
            let started = try retry(deadline: deadline, abort: abort, doing: "starting the command") {
                libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
            }
            guard started == 0 else {
                throw SshError(kind: .channel, message: "the server refused to run the command: \(lastErrorText())")
            }
            try pump(channel, stdin: stdin, into: &outcome, limit: maxOutputBytes, deadline: deadline, abort: abort)
            let closed = try retry(deadline: deadline, abort: abort, doing: "closing the channel") { libssh2_channel_close(channel) }
            guard closed == 0 else { throw SshError(kind: .channel, message: "cannot close the SSH channel: \(lastErrorText())") }
            outcome.exitSignal = exitSignal(of: channel)
            outcome.exitCode = outcome.exitSignal == nil ? Int(libssh2_channel_get_exit_status(channel)) : -1
            abandon(channel)
            return outcome
        } catch {
            if let channel { abandon(channel) }
            guard error.kind == .timeout else { throw error }
            outcome.timedOut = true
            return outcome
        }
    }

    /// Moves data until the remote side ends its output: stdout and stderr are read as they
    /// come, stdin is written as the channel window allows, then its end is signalled.
    private func pump(
        _ channel: OpaquePointer, stdin: [UInt8], into outcome: inout SshCommandOutcome, limit: Int,
        deadline: ContinuousClock.Instant, abort: SshAbortFlag
    ) throws(SshError) {
        var buffer = [UInt8](repeating: 0, count: 32_768)
        var written = 0
        var inputClosed = false
        while true {
            var progressed = false
            for stream: Int32 in [0, SSH_EXTENDED_DATA_STDERR] {
                while true {
                    let count = buffer.withUnsafeMutableBytes { raw in
                        libssh2_channel_read_ex(channel, stream, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
                    }
                    if count > 0 {
                        progressed = true
                        buffer.withUnsafeBytes { raw in
                            let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                            if stream == 0 { outcome.stdout.append(bytes, limit: limit) } else { outcome.stderr.append(bytes, limit: limit) }
                        }
                        continue
                    }
                    if count == 0 || count == Int(LIBSSH2_ERROR_EAGAIN) { break }
                    throw SshError(kind: .channel, message: "reading the command's output failed: \(lastErrorText())")
                }
            }
            if !inputClosed {
                if written < stdin.count {
                    let count = stdin.withUnsafeBytes { raw in
                        libssh2_channel_write_ex(
                            channel, 0, raw.baseAddress?.advanced(by: written).assumingMemoryBound(to: CChar.self),
                            min(32_768, stdin.count - written))
                    }
                    if count > 0 {
                        written += count
                        progressed = true
                    } else if count != Int(LIBSSH2_ERROR_EAGAIN) {
                        // The command stopped reading (it exited or closed stdin); what it said comes through stdout/stderr.
                        inputClosed = true
                    }
                }
                if written >= stdin.count && !inputClosed {
                    let rc = libssh2_channel_send_eof(channel)
                    if rc != LIBSSH2_ERROR_EAGAIN {
                        inputClosed = true
                        progressed = true
                    }
                }
            }
            if libssh2_channel_eof(channel) != 0 && !progressed { return }
            if !progressed { try waitForSocket(deadline: deadline, abort: abort, doing: "waiting for the command") }
        }
    }

    /// The name of the signal that ended the command, if one did.
    private func exitSignal(of channel: OpaquePointer) -> String? {
        var name: UnsafeMutablePointer<CChar>?
        var length = 0
        guard libssh2_channel_get_exit_signal(channel, &name, &length, nil, nil, nil, nil) == 0, let name else { return nil }
        defer { libssh2_free(session, name) }
        return length > 0 ? String(decoding: UnsafeRawBufferPointer(start: name, count: length), as: UTF8.self) : nil
    }

    /// Closes and frees a channel without waiting long: a command that is still running keeps
    /// the remote side from answering the close, and libssh2 1.10 cannot signal it. A channel
    /// that does not finish closing within a moment is left to be freed with the session.
    func abandon(_ channel: OpaquePointer) {
        let deadline = ContinuousClock.now + .milliseconds(200)
        let patience = SshAbortFlag()
        guard (try? retry(deadline: deadline, abort: patience, doing: "closing the channel") { libssh2_channel_close(channel) }) == 0 else {
            return
        }
        _ = try? retry(deadline: deadline, abort: patience, doing: "freeing the channel") { libssh2_channel_free(channel) }
    }
}
