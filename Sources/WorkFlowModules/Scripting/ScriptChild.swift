import Foundation
import Logging
import Subprocess
import Synchronization
import WorkFlowEngine

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How to start a module child: a program, its arguments and where it runs.
public struct ScriptLaunch: Sendable, Hashable {
    public var executable: String
    public var arguments: [String]
    public var workingDirectory: String
    /// Variables set on top of this process's environment.
    public var environment: [String: String]

    public init(executable: String, arguments: [String], workingDirectory: String, environment: [String: String] = [:]) {
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.environment = environment
    }

    /// The command line, for messages.
    var display: String { ([executable] + arguments).joined(separator: " ") }
}

/// What a child answered to one request.
enum ScriptReply: Sendable, Equatable {
    /// The method returned this value.
    case result(JSONValue)
    /// The method raised: the exception's text and the traceback, if the child sent one.
    case failure(message: String, traceback: String?)
    /// A `describe` answer: the module as the inspector shapes it.
    case description(JSONValue)
}

/// Why a child could not answer.
struct ScriptChildError: Error, CustomStringConvertible {
    var description: String
}

/// One running module child speaking JSON lines (docs/modules.md, "The module protocol").
///
/// Requests go to its stdin one line each; its stdout carries `log`, `result` and `error`
/// messages, and any other line there counts as a log line of the request being served; its
/// stderr lines are log lines too (warnings). One request at a time: ``ScriptHost`` serialises.
/// The child runs in its own process group, which ``kill()`` ends with `SIGKILL`.
final class ScriptChild: Sendable {
    /// The longest protocol line accepted (a step result is one line).
    static let maxLineBytes = 64 << 20

    private struct Pending {
        var id: Int
        var logger: StepLogger
        var continuation: CheckedContinuation<ScriptReply, any Error>
        /// The answer, held until the child's stderr for this call has been read (see `stderrSync`).
        var reply: ScriptReply?
        var stderrDone = false
    }

    private struct State {
        var writer: StandardInputWriter?
        var group: pid_t?
        var pending: Pending?
        /// Set once the child can no longer answer; later requests fail with it.
        var ended: String?
        /// The last lines the child wrote to stderr outside any request, for crash messages.
        var stderrTail: [String] = []
        var started: [CheckedContinuation<Void, any Error>] = []
        /// The child marks the end of each call's stderr output (`ready` said `stderr_sync`), so
        /// an answer waits for that mark and every stderr line of the call lands in its log.
        var stderrSync = false
        /// stderr reached its end: no mark will come.
        var stderrClosed = false
    }

    private let state = Mutex(State())
    private let runner: Mutex<Task<Void, Never>?> = Mutex(nil)
    let launch: ScriptLaunch

    private init(launch: ScriptLaunch) {
        self.launch = launch
    }

    /// Starts the child and returns once it is running (its stdin is open).
    static func start(_ launch: ScriptLaunch) async throws -> ScriptChild {
        let child = ScriptChild(launch: launch)
        try await withCheckedThrowingContinuation { (started: CheckedContinuation<Void, any Error>) in
            child.state.withLock { $0.started.append(started) }
            let task = Task.detached { await child.supervise() }
            child.runner.withLock { $0 = task }
        }
        return child
    }

    var isAlive: Bool { state.withLock { $0.ended == nil } }

    /// Sends one request and waits for its answer; log lines go to `logger` meanwhile.
    /// Cancelling the calling task kills the child (the request may be half done).
    func request(_ message: JSONObject, id: Int, logger: StepLogger) async throws -> ScriptReply {
        var line = JSONWriter.string(from: .object(message))
        line.append("\n")
        let bytes = Array(line.utf8)
        return try await withTaskCancellationHandler {
            let writer: StandardInputWriter = try state.withLock { state in
                if let ended = state.ended { throw ScriptChildError(description: ended) }
                guard let writer = state.writer else { throw ScriptChildError(description: "the module process is not running") }
                return writer
            }
            return try await withCheckedThrowingContinuation { continuation in
                let accepted: (any Error)? = state.withLock { state in
                    if let ended = state.ended { return ScriptChildError(description: ended) }
                    state.pending = Pending(id: id, logger: logger, continuation: continuation)
                    return nil
                }
                if let accepted {
                    continuation.resume(throwing: accepted)
                    return
                }
                Task {
                    do {
                        _ = try await writer.write(bytes)
                    } catch {
                        self.end(because: "could not write to the module process: \(error)")
                    }
                }
            }
        } onCancel: {
            self.kill(because: "the step was cancelled")
        }
    }

    /// Ends the child: closes its stdin so it can finish, and kills its process group if it
    /// has not exited after `grace`.
    func close(grace: Duration = .seconds(2)) async {
        let writer = state.withLock { $0.writer }
        if let writer { try? await writer.finish() }
        guard let task = runner.withLock({ $0 }) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await task.value }
            group.addTask {
                do {
                    try await Task.sleep(for: grace)
                    self.kill(because: "the run ended")
                } catch {}
            }
            await group.next()
            group.cancelAll()
        }
        await task.value
    }

    /// Kills the child's process group at once.
    func kill(because reason: String) {
        let group = state.withLock { state -> pid_t? in
            if state.ended == nil { state.ended = "the module process was stopped: \(reason)" }
            return state.group
        }
        if let group { _ = killpg(group, SIGKILL) }
        failPending()
    }

    // MARK: - Supervision

    private func supervise() async {
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group led by the child
        var overrides: [Environment.Key: String?] = [:]
        for (key, value) in launch.environment { overrides[Environment.Key(stringLiteral: key)] = value }
        do {
            let outcome = try await run(
                .path(FilePath(launch.executable)), arguments: Arguments(launch.arguments),
                environment: .inherit.updating(overrides), workingDirectory: FilePath(launch.workingDirectory),
                platformOptions: options, input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                let started = state.withLock { state in
                    state.writer = execution.standardInputWriter
                    state.group = pid
                    defer { state.started = [] }
                    return state.started
                }
                for continuation in started { continuation.resume() }
                await withTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { await self.readStderr(execution.standardError) }
                    await self.readStdout(execution.standardOutput)
                    // stdout ending means the child is done with the protocol, whatever else it
                    // does; kill the group so that nothing it left behind holds stderr open.
                    _ = killpg(pid, SIGKILL)
                    await tasks.waitForAll()
                }
            }
            let status: String =
                switch outcome.terminationStatus {
                case .exited(let code): "exited with code \(code)"
                case .signaled(let signal): "was killed by signal \(signal)"
                }
            end(because: "the module process \(status)")
        } catch {
            let message = "cannot start \(launch.display): \(error)"
            let started = state.withLock { state in
                defer { state.started = [] }
                return state.started
            }
            for continuation in started { continuation.resume(throwing: ScriptChildError(description: message)) }
            end(because: message)
        }
    }

    private func readStdout(_ stream: SubprocessOutputSequence) async {
        var splitter = LineSplitter(limit: Self.maxLineBytes)
        do {
            for try await buffer in stream {
                var lines: [[UInt8]] = []
                buffer.withUnsafeBytes { bytes in lines = splitter.append(bytes) }
                for line in lines { handleStdout(line) }
                if splitter.overflowed {
                    kill(because: "it wrote a line longer than \(Self.maxLineBytes) bytes")
                    return
                }
            }
        } catch {}
        if let rest = splitter.remainder() { handleStdout(rest) }
    }

    private func readStderr(_ stream: SubprocessOutputSequence) async {
        var splitter = LineSplitter(limit: 1 << 20)
        do {
            for try await buffer in stream {
                var lines: [[UInt8]] = []
                buffer.withUnsafeBytes { bytes in lines = splitter.append(bytes) }
                for line in lines { handleStderr(String(decoding: line, as: UTF8.self)) }
                if splitter.overflowed { splitter = LineSplitter(limit: 1 << 20) }
            }
        } catch {}
        if let rest = splitter.remainder() { handleStderr(String(decoding: rest, as: UTF8.self)) }
        state.withLock { $0.stderrClosed = true }
        stderrFinished(id: nil)
    }

    private func handleStdout(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard bytes.first == UInt8(ascii: "{"), case .object(let message)? = try? JSONParser.parse(text),
            let type = message["type"]?.stringValue
        else {
            // Not a protocol message: a line the program printed.
            if !text.isEmpty { currentLogger()?.info(Self.capped(text)) }
            return
        }
        switch type {
        case "log":
            let level = ScriptLogLevel(message["level"]?.stringValue)
            let text = message["message"]?.stringValue ?? message["message"].map { JSONWriter.string(from: $0) } ?? ""
            currentLogger()?.log(level.swiftLog, Self.capped(text))
        case "ready":
            if message["stderr_sync"] == .bool(true) { state.withLock { $0.stderrSync = true } }
        case "result":
            answer(message, .result(message["result"] ?? .null))
        case "error":
            answer(
                message,
                .failure(
                    message: message["error"]?.stringValue ?? "the module failed without saying why",
                    traceback: message["traceback"]?.stringValue))
        case "description":
            answer(message, .description(message["module"] ?? .null))
        default:
            // Anything newer: nothing to do.
            break
        }
    }

    private func handleStderr(_ text: String) {
        var line = text
        if let mark = line.range(of: Self.stderrMark) {
            let rest = line[mark.upperBound...]
            let id = Int(rest.prefix { $0 != "\u{0}" })
            line = String(line[..<mark.lowerBound])
            if !line.isEmpty { handleStderr(line) }
            stderrFinished(id: id)
            return
        }
        line = Self.capped(line)
        if let logger = currentLogger() {
            if !line.isEmpty { logger.warning(line) }
            return
        }
        state.withLock { state in
            state.stderrTail.append(line)
            if state.stderrTail.count > 20 { state.stderrTail.removeFirst() }
        }
    }

    private func currentLogger() -> StepLogger? {
        state.withLock { $0.pending?.logger }
    }

    /// `\0workflow-sync <id>\0`: the child's stderr for call `id` is complete.
    static let stderrMark = "\u{0}workflow-sync "

    /// The longest log line kept (a step keeps at most ``StepLogger/defaultLineLimit`` lines).
    static let maxLogLineBytes = 64 * 1024

    static func capped(_ line: String) -> String {
        guard line.utf8.count > maxLogLineBytes else { return line }
        let kept = String(decoding: Array(line.utf8.prefix(maxLogLineBytes)), as: UTF8.self)
        return kept + " [line cut: \(line.utf8.count - maxLogLineBytes) more bytes]"
    }

    private func answer(_ message: JSONObject, _ reply: ScriptReply) {
        let id = message["id"]?.intValue
        let ready = state.withLock { state -> Pending? in
            guard var pending = state.pending, id == nil || id == pending.id else { return nil }
            pending.reply = reply
            if state.stderrSync && !pending.stderrDone && !state.stderrClosed {
                state.pending = pending
                return nil
            }
            state.pending = nil
            return pending
        }
        if let ready, let reply = ready.reply {
            ready.continuation.resume(returning: reply)
        } else if id != nil {
            // A mark lost (a module that moved its stderr) must not hold the answer for long.
            Task {
                try? await Task.sleep(for: .seconds(2))
                self.stderrFinished(id: id)
            }
        }
    }

    private func stderrFinished(id: Int?) {
        let ready = state.withLock { state -> Pending? in
            guard var pending = state.pending, id == nil || id == pending.id else { return nil }
            pending.stderrDone = true
            guard pending.reply != nil else {
                state.pending = pending
                return nil
            }
            state.pending = nil
            return pending
        }
        if let ready, let reply = ready.reply { ready.continuation.resume(returning: reply) }
    }

    private func end(because reason: String) {
        state.withLock { state in
            if state.ended == nil {
                let tail = state.stderrTail.filter { !$0.isEmpty }.suffix(5)
                state.ended = tail.isEmpty ? reason : "\(reason); it wrote: \(tail.joined(separator: "\n"))"
            }
            state.writer = nil
            // Reaped from here on: its pid (the group id) may belong to another process soon.
            state.group = nil
        }
        failPending()
    }

    private func failPending() {
        let (pending, reason) = state.withLock { state -> (Pending?, String) in
            defer { state.pending = nil }
            return (state.pending, state.ended ?? "the module process ended")
        }
        guard let pending else { return }
        // An answer already read (held for the stderr mark) still counts.
        if let reply = pending.reply {
            pending.continuation.resume(returning: reply)
        } else {
            pending.continuation.resume(throwing: ScriptChildError(description: reason))
        }
    }
}

/// The level names of `log` messages.
enum ScriptLogLevel {
    case debug, info, warning, error

    init(_ name: String?) {
        switch name?.lowercased() {
        case "debug", "trace": self = .debug
        case "warning", "warn": self = .warning
        case "error", "critical", "fatal": self = .error
        default: self = .info
        }
    }

    var swiftLog: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}

/// Splits a byte stream at `\n` (only there: JSON text may hold U+2028), dropping a `\r` before it.
struct LineSplitter {
    let limit: Int
    private var partial: [UInt8] = []
    private(set) var overflowed = false

    init(limit: Int) {
        self.limit = limit
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == 0x0A {
            partial.append(contentsOf: bytes[start..<i])
            if partial.last == 0x0D { partial.removeLast() }
            lines.append(partial)
            partial = []
            start = i + 1
        }
        partial.append(contentsOf: bytes[start...])
        if partial.count > limit { overflowed = true }
        return lines
    }

    mutating func remainder() -> [UInt8]? {
        defer { partial = [] }
        return partial.isEmpty ? nil : partial
    }
}
