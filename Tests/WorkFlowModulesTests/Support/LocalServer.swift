import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Real servers for the integration modules' tests (httpbin, aiosmtpd, sshd): each test starts
// the ones it needs on a free port of 127.0.0.1 and stops them on every way out.

/// Where the integration tests find their servers, and whether they may be skipped.
enum IntegrationServers {
    /// `WORKFLOW_TEST_REQUIRE_SERVERS=1` (set by scripts/test.sh) turns a missing server program into a failure.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["WORKFLOW_TEST_REQUIRE_SERVERS"] == "1" }

    /// The package's root folder.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The virtual environment with httpbin, gunicorn and aiosmtpd: `WORKFLOW_TEST_VENV`, else
    /// `.build/test-venv` (what `ensure_integration_test_servers` in scripts/lib.sh prepares).
    static var venv: URL {
        if let path = ProcessInfo.processInfo.environment["WORKFLOW_TEST_VENV"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.appendingPathComponent(".build/test-venv")
    }

    /// A program of the test virtual environment (`python`, `gunicorn`), when it is installed.
    static func venvProgram(_ name: String) -> String? {
        executable(venv.appendingPathComponent("bin/\(name)").path)
    }

    /// `path` when it names an executable file.
    static func executable(_ path: String) -> String? {
        FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static let installHint = "run scripts/test.sh, or: . scripts/lib.sh; ensure_integration_test_servers"
}

/// A server program the tests need is not installed.
struct ServerMissing: Error, CustomStringConvertible {
    let what: String
    var description: String { "\(what) is not installed (\(IntegrationServers.installHint))" }
}

extension Trait where Self == ConditionTrait {
    /// Marks a test or suite as needing a local server: it runs when `isInstalled` says the
    /// programs are there, is skipped when they are not, and fails (naming what is missing) when
    /// they are not and `WORKFLOW_TEST_REQUIRE_SERVERS=1`.
    static func needsServer(_ what: String, isInstalled: @escaping @Sendable () -> Bool) -> Self {
        .enabled("needs \(what) (\(IntegrationServers.installHint))") {
            if isInstalled() { return true }
            if IntegrationServers.isRequired { throw ServerMissing(what: what) }
            return false
        }
    }
}

/// A free TCP port on 127.0.0.1 (the kernel picks it; it stays free until somebody binds it).
func freeLocalPort() throws -> Int {
    let bound = try boundLoopbackSocket()
    close(bound.fd)
    return bound.port
}

/// A TCP socket bound to a port of 127.0.0.1 the kernel picks, and that port; the caller closes it.
func boundLoopbackSocket() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else {
        close(fd)
        throw LocalServerError(message: "no free port on 127.0.0.1")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func acceptsConnections(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

struct LocalServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A server process on 127.0.0.1, its output kept in a log file, stopped by `stop()`.
actor LocalServer {
    nonisolated let name: String
    nonisolated let port: Int
    nonisolated let logFile: URL
    private let process: Process
    private let exited: AsyncStream<Int32>
    private var stopped = false

    /// Starts `executable` and returns once 127.0.0.1:`port` accepts connections (or throws,
    /// with the end of the server's log, after `readyWithin`).
    static func start(
        _ name: String, executable: String, arguments: [String], port: Int,
        environment: [String: String] = [:], workingDirectory: URL? = nil, readyWithin: Duration = .seconds(20)
    ) async throws -> LocalServer {
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-test-\(name)-\(port)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        let (exited, exit) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            exit.yield(process.terminationStatus)
            exit.finish()
        }
        try process.run()
        try? log.close()
        let server = LocalServer(name: name, port: port, process: process, exited: exited, logFile: logFile)
        do {
            try await server.waitUntilReady(within: readyWithin)
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    private init(name: String, port: Int, process: Process, exited: AsyncStream<Int32>, logFile: URL) {
        self.name = name
        self.port = port
        self.process = process
        self.exited = exited
        self.logFile = logFile
    }

    /// Polls the port: a readiness probe of another process, the one kind of waiting these tests do in a loop.
    private func waitUntilReady(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw LocalServerError(message: "\(name) exited with status \(process.terminationStatus) before listening\n\(log())")
            }
            if acceptsConnections(port: port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LocalServerError(message: "\(name) did not listen on 127.0.0.1:\(port) within \(limit)\n\(log())")
    }

    /// The last 4,000 characters the server wrote.
    nonisolated func log() -> String {
        String(((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").suffix(4000))
    }

    /// The processes whose parent is `pid`, read from /proc.
    private static func children(of pid: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let candidate = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After "pid (name) " come the state and the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? candidate : nil
        }
    }

    /// Kills the server (and the processes it started) and waits for it to exit.
    ///
    /// SIGKILL, not SIGTERM: children started from Swift concurrency's threads inherit a signal
    /// mask that blocks SIGTERM, so they would not see it.
    func stop() async {
        guard !stopped else { return }
        stopped = true
        // Children first (gunicorn's worker, sshd's per-connection processes): they inherit the
        // descriptor through which Foundation learns that the server ended, so a child left
        // running would hold up `exited` until it noticed its parent was gone (up to 30 s).
        for child in Self.children(of: process.processIdentifier) { kill(child, SIGKILL) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for await _ in exited {}
        try? FileManager.default.removeItem(at: logFile)
    }
}

/// Runs `body` with a started server and stops the server on every way out.
nonisolated(nonsending) func withLocalServer<T>(
    _ start: () async throws -> LocalServer, _ body: (LocalServer) async throws -> T
) async throws -> T {
    let server = try await start()
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

/// Runs a helper program to its end and returns its output; a non-zero exit throws with it.
///
/// The output goes to a file, not a pipe: a server that another test starts meanwhile would
/// inherit the pipe's write end and keep it open, and reading to the end would never finish.
@discardableResult
func runTool(_ program: String, _ arguments: [String]) async throws -> String {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-test-tool-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    let (exited, exit) = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { process in
        exit.yield(process.terminationStatus)
        exit.finish()
    }
    try process.run()
    try? handle.close()
    var status: Int32 = -1
    for await code in exited { status = code }
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    guard status == 0 else {
        throw LocalServerError(message: "\(program) \(arguments.joined(separator: " ")) exited with \(status): \(text)")
    }
    return text
}
