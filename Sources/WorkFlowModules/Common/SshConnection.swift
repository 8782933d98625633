import CLibSSH2
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why an SSH operation failed; `message` is what the step's error says.
struct SshError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case connect, hostKey, authentication, timeout, cancelled, channel, sftp, localFile
    }

    var kind: Kind
    var message: String

    var description: String { message }

    static let cancelled = SshError(kind: .cancelled, message: "cancelled")
}

/// How the server's host key is checked against the known_hosts file.
enum SshHostKeyPolicy: String, Sendable, CaseIterable {
    /// Unknown hosts are added to the file; a changed key is refused.
    case acceptNew = "accept-new"
    /// Only hosts already in the file are accepted.
    case strict
    /// Every key is accepted and nothing is written.
    case off
}

/// How to log in.
enum SshCredential: Sendable, Equatable {
    case password(String)
    case keyFile(path: String, passphrase: String?)
}

/// Everything ``SshConnection/openConnection(_:log:)`` needs.
struct SshConnectOptions: Sendable, Equatable {
    var host: String
    var port: Int
    var username: String
    var credential: SshCredential
    /// Seconds for connecting, the handshake and logging in together; also how long an SFTP
    /// transfer may go without progress.
    var timeoutSeconds: Double
    var hostKeyPolicy: SshHostKeyPolicy
    var knownHostsFile: String
    /// Whether a missing folder of `knownHostsFile` may be created (with mode 0700), as OpenSSH
    /// does for `~/.ssh`.
    var mayCreateKnownHostsFolder: Bool
}

/// Raised when the task waiting for an operation is cancelled; the worker checks it between
/// waits, which are at most ``SshConnection/pollSlice`` long.
final class SshAbortFlag: Sendable {
    private let raised = Mutex(false)

    func raise() { raised.withLock { $0 = true } }
    var isRaised: Bool { raised.withLock { $0 } }
}

/// One SSH session over libssh2: connect and log in, run commands, move files over SFTP.
///
/// `@unchecked Sendable` because it owns libssh2 handles, which are not thread-safe: after
/// `init`, every libssh2 call and every access to `socketFD`, `session` and `sftp` happens on
/// `queue`, a private serial queue, so one thread at a time touches them. libssh2 runs in
/// non-blocking mode and the queue waits with poll() in short slices, checking the operation's
/// ``SshAbortFlag`` and deadline in between; a cancelled step therefore returns within about
/// 100 ms, and Swift's cooperative threads never block on the network.
final class SshConnection: @unchecked Sendable {
    let host: String
    let port: Int
    let username: String
    /// The server's host key as OpenSSH prints it: `SHA256:` and unpadded base64.
    private(set) var hostKeyFingerprint = ""
    /// Transfers fail after this long without progress.
    let idleTimeoutSeconds: Double

    private let queue: DispatchQueue
    private let closed = Mutex(false)
    var socketFD: Int32 = -1
    var session: OpaquePointer?
    var sftp: OpaquePointer?

    /// The longest single poll(): how late an abort is noticed.
    static let pollSlice: Duration = .milliseconds(100)

    /// libssh2_init once per process, before the first session (it sets up the crypto backend).
    private static let libraryReady: Bool = libssh2_init(0) == 0

    private init(host: String, port: Int, username: String, idleTimeoutSeconds: Double) {
        self.host = host
        self.port = port
        self.username = username
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.queue = DispatchQueue(label: "workflow.ssh.\(username)@\(host):\(port)")
    }

    deinit {
        // Nothing runs on the queue any more (an operation holds a reference); free without a goodbye.
        releaseHandles()
    }

    /// Whether the connection is still open (``close()`` not yet called, no fatal error).
    var isOpen: Bool { !closed.withLock { $0 } }

    /// Connects, checks the host key, logs in.
    static func openConnection(_ options: SshConnectOptions, log: @escaping @Sendable (SshLogLevel, String) -> Void) async throws(SshError) -> SshConnection {
        guard libraryReady else { throw SshError(kind: .connect, message: "libssh2 could not be initialised") }
        let connection = SshConnection(
            host: options.host, port: options.port, username: options.username, idleTimeoutSeconds: options.timeoutSeconds)
        do {
            try await connection.perform { abort throws(SshError) in
                try connection.establish(options, abort: abort, log: log)
            }
        } catch {
            // No goodbye to a server that did not answer in time: the caller is waiting.
            await connection.close(politely: error.kind != .timeout && error.kind != .cancelled)
            throw error
        }
        return connection
    }

    /// Says goodbye to the server and frees everything; later calls do nothing.
    func close() async {
        await close(politely: true)
    }

    private func close(politely: Bool) async {
        guard closed.withLock({ state in defer { state = true }; return !state }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.shutDown(politely: politely)
                continuation.resume()
            }
        }
    }

    // MARK: - Running work on the queue

    /// Runs `operation` on the queue; cancelling the calling task raises its abort flag.
    func perform<T: Sendable>(_ operation: @escaping @Sendable (SshAbortFlag) throws(SshError) -> T) async throws(SshError) -> T {
        let abort = SshAbortFlag()
        let result: Result<T, SshError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    guard !abort.isRaised else { return continuation.resume(returning: .failure(.cancelled)) }
                    guard self.isOpen else {
                        return continuation.resume(returning: .failure(SshError(kind: .channel, message: "the SSH connection is closed")))
                    }
                    continuation.resume(returning: Result { () throws(SshError) -> T in try operation(abort) })
                }
            }
        } onCancel: {
            abort.raise()
        }
        return try result.get()
    }

    /// Waits (on the queue) until the socket is ready the way libssh2 last asked for, the
    /// deadline passes, or the operation is aborted; at most one poll slice at a time.
    func waitForSocket(deadline: ContinuousClock.Instant, abort: SshAbortFlag, doing what: @autoclosure () -> String) throws(SshError) {
        var events: Int16 = 0
        if let session {
            let directions = libssh2_session_block_directions(session)
            if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
            if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        }
        try pollSocket(events: events == 0 ? Int16(POLLIN) : events, deadline: deadline, abort: abort, doing: what())
    }

    func pollSocket(events: Int16, deadline: ContinuousClock.Instant, abort: SshAbortFlag, doing what: @autoclosure () -> String) throws(SshError) {
        if abort.isRaised { throw .cancelled }
        let remaining = deadline - .now
        guard remaining > .zero else { throw SshError(kind: .timeout, message: "timed out \(what())") }
        let slice = min(remaining, Self.pollSlice)
        let milliseconds = Int32(max(1, slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000))
        var descriptor = pollfd(fd: socketFD, events: events, revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
        if abort.isRaised { throw .cancelled }
    }

    /// Calls `attempt` until libssh2 stops answering "would block", waiting for the socket in between.
    func retry<Code: BinaryInteger>(
        deadline: ContinuousClock.Instant, abort: SshAbortFlag, doing what: @autoclosure () -> String, _ attempt: () -> Code
    ) throws(SshError) -> Code {
        while true {
            let rc = attempt()
            guard rc == Code(LIBSSH2_ERROR_EAGAIN) else { return rc }
            try waitForSocket(deadline: deadline, abort: abort, doing: what())
        }
    }

    /// Like ``retry(deadline:abort:doing:_:)`` for calls that return a handle, or nil and set the last error.
    func retryHandle(
        deadline: ContinuousClock.Instant, abort: SshAbortFlag, doing what: @autoclosure () -> String, _ attempt: () -> OpaquePointer?
    ) throws(SshError) -> OpaquePointer? {
        while true {
            if let handle = attempt() { return handle }
            guard let session, libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN else { return nil }
            try waitForSocket(deadline: deadline, abort: abort, doing: what())
        }
    }

    /// libssh2's text for the session's last error.
    func lastErrorText() -> String {
        guard let session else { return "no session" }
        return libssh2LastError(session)
    }

    // MARK: - Connecting (on the queue)

    private func establish(_ options: SshConnectOptions, abort: SshAbortFlag, log: @Sendable (SshLogLevel, String) -> Void) throws(SshError) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(options.timeoutSeconds * 1000))
        let endpoint = "\(host):\(port)"
        socketFD = try Self.openSocket(host: host, port: port, deadline: deadline, abort: abort)

        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            throw SshError(kind: .connect, message: "libssh2 could not create a session")
        }
        self.session = session
        libssh2_session_set_blocking(session, 0)
        let handshake = try retry(deadline: deadline, abort: abort, doing: "during the SSH handshake with \(endpoint)") {
            libssh2_session_handshake(session, socketFD)
        }
        guard handshake == 0 else {
            throw SshError(kind: .connect, message: "SSH handshake with \(endpoint) failed: \(lastErrorText())")
        }

        let hostKey = try SshKnownHosts.serverKey(of: session)
        hostKeyFingerprint = hostKey.fingerprint
        try SshKnownHosts.check(hostKey, host: host, port: port, session: session, options: options, log: log)

        try authenticate(options, deadline: deadline, abort: abort)
    }

    private func authenticate(_ options: SshConnectOptions, deadline: ContinuousClock.Instant, abort: SshAbortFlag) throws(SshError) {
        guard let session else { return }
        let user = options.username
        let userLength = UInt32(user.utf8.count)
        switch options.credential {
        case .password(let password):
            let rc = try retry(deadline: deadline, abort: abort, doing: "logging in as \(user)") {
                libssh2_userauth_password_ex(session, user, userLength, password, UInt32(password.utf8.count), nil)
            }
            guard rc == 0 else {
                throw SshError(kind: .authentication, message: "authentication failed for user '\(user)' on \(host):\(port) (password): \(lastErrorText())")
            }

        case .keyFile(let path, let passphrase):
            let key = try SshPrivateKeyFile.read(path)
            let rc = try retry(deadline: deadline, abort: abort, doing: "logging in as \(user)") {
                libssh2_userauth_publickey_fromfile_ex(session, user, userLength, nil, path, passphrase ?? "")
            }
            guard rc != 0 else { return }
            if rc == LIBSSH2_ERROR_FILE {
                let hint = key.isEncrypted && passphrase == nil ? "the key is encrypted: give its passphrase" : "wrong passphrase or unsupported key format"
                throw SshError(kind: .authentication, message: "cannot load the private key \(path) (\(hint)): \(lastErrorText())")
            }
            var message = "authentication failed for user '\(user)' on \(host):\(port) with key \(path): \(lastErrorText())"
            if key.type == "ssh-rsa" {
                message += ". Note: libssh2 1.10 signs with RSA keys only as ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default; use an Ed25519 or ECDSA key, or allow ssh-rsa on the server (PubkeyAcceptedAlgorithms +ssh-rsa)"
            }
            throw SshError(kind: .authentication, message: message)
        }
    }

    /// A connected non-blocking TCP socket to the first address of `host` that answers.
    private static func openSocket(
        host: String, port: Int, deadline: ContinuousClock.Instant, abort: SshAbortFlag
    ) throws(SshError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0 else {
            throw SshError(kind: .connect, message: "cannot resolve host '\(host)': \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var failure = "no address"
        var node = list
        while let info = node?.pointee {
            node = info.ai_next
            let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), info.ai_protocol)
            guard fd >= 0 else {
                failure = String(cString: strerror(errno))
                continue
            }
            if connect(fd, info.ai_addr, info.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                failure = String(cString: strerror(errno))
                closeDescriptor(fd)
                continue
            }
            // No session yet: wait for the socket itself to become writable.
            var pending = true
            while pending {
                if abort.isRaised {
                    closeDescriptor(fd)
                    throw .cancelled
                }
                guard ContinuousClock.now < deadline else {
                    closeDescriptor(fd)
                    throw SshError(kind: .timeout, message: "connecting to \(host):\(port) timed out")
                }
                var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                pending = poll(&descriptor, 1, 100) == 0
            }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            if code == 0 { return fd }
            failure = String(cString: strerror(code))
            closeDescriptor(fd)
        }
        throw SshError(kind: .connect, message: "cannot connect to \(host):\(port): \(failure)")
    }

    // MARK: - Closing (on the queue)

    /// A polite shutdown bounded to two seconds, then the handles are freed whatever happened.
    private func shutDown(politely: Bool = true) {
        let deadline = ContinuousClock.now + .seconds(2)
        let abort = SshAbortFlag()
        if politely, let sftp {
            _ = try? retry(deadline: deadline, abort: abort, doing: "closing SFTP") { libssh2_sftp_shutdown(sftp) }
            self.sftp = nil
        }
        if politely, let session {
            _ = try? retry(deadline: deadline, abort: abort, doing: "disconnecting") {
                libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "workflow run ended", "")
            }
        }
        releaseHandles()
    }

    /// Frees whatever is left without talking to the server.
    ///
    /// The socket is shut down first: libssh2 frees a channel only after the server answers its
    /// close, and a channel abandoned by a timeout may never be answered; with the socket shut
    /// down every read fails at once instead of "would block". The descriptor stays allocated
    /// until the session is freed, so libssh2 never touches a reused descriptor.
    private func releaseHandles() {
        if socketFD >= 0 { _ = shutdown(socketFD, Int32(SHUT_RDWR)) }
        if let session {
            var attempts = 0
            while libssh2_session_free(session) == LIBSSH2_ERROR_EAGAIN && attempts < 1_000 { attempts += 1 }
            self.session = nil
            self.sftp = nil  // freed with the session
        }
        if socketFD >= 0 {
            closeDescriptor(socketFD)
            socketFD = -1
        }
    }
}

/// libssh2's text for the last error of `session`.
func libssh2LastError(_ session: OpaquePointer) -> String {
    var message: UnsafeMutablePointer<CChar>?
    var length: Int32 = 0
    libssh2_session_last_error(session, &message, &length, 0)
    guard let message, length > 0 else { return "unknown libssh2 error" }
    return String(decoding: UnsafeRawBufferPointer(start: message, count: Int(length)), as: UTF8.self)
}

/// Closes a file descriptor (a free function: inside the class, `close` is the connection's own).
@discardableResult
func closeDescriptor(_ fd: Int32) -> Int32 {
    close(fd)
}

/// Log lines the connection wants written to the step's log.
enum SshLogLevel: Sendable {
    case info, warning
}
