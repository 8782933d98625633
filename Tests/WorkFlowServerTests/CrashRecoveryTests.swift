import Foundation
import Logging
import Testing
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `workflow serve` process, started and killed by the test.
final class ServerProcess {
    let process = Process()
    let output = Pipe()
    let port: Int

    /// Starts `workflow serve` on `home` and returns once it says it is listening.
    init(home: URL, port: Int, extra: [String] = []) throws {
        self.port = port
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("workflow")
        process.executableURL = binary
        process.arguments = ["serve", "--home", home.path, "--port", String(port), "--api-port", "0"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["WORKFLOW_PASSWORD_COST"] = "4"
        environment["WORKFLOW_ADMIN_PASSWORD"] = "a long enough password"
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The server prints this line once it listens; reading it is the wait.
        var seen = ""
        while !seen.contains("WorkFlow is listening") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw ServerProcessError(message: "the server exited before listening:\n\(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
    }

    func kill(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(SIGKILL) }
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A free TCP port on 127.0.0.1 (bound once by the kernel's choice, then released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw ServerProcessError(message: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func post(_ url: String, key: String, json: String) async throws -> JSONValue {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = "POST"
    request.setValue(key, forHTTPHeaderField: "X-Api-Key")
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(json.utf8)
    let (data, _) = try await URLSession.shared.data(for: request)
    return try JSONParser.parse(String(decoding: data, as: UTF8.self))
}

@Suite("crash recovery", .serialized)
struct CrashRecoveryTests {
    @Test("kill -9 during runs: after a restart no run stays running, and queued runs are not lost")
    func killNine() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("wf-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let databaseURL = "sqlite://" + home.appendingPathComponent("workflow.db").path
        // Set up in process: a workflow that waits as long as it is told, an admin and a key.
        let store = try await Store.open(url: databaseURL, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        // Closed on every way out: a failed expectation must not leave open connections behind.
        do {
            let slow = try Workflow(
                json: #"{"inputs": {"seconds": {"type": "number"}}, "procedures": [{"name": "wait", "mod": "common.Bash", "method": "run", "params": {"cmd": "sleep ${var.seconds}"}}]}"#)
            _ = try await store.createFlow(name: "slow", document: slow.document, author: "test", comment: nil)
            let admin = try await store.createUser(username: "admin", passwordHash: "-", isAdmin: true)
            let key = APIKeyFormat.generate()
            _ = try await store.createAPIKey(name: "test", prefix: key.prefix, keyHash: key.hash, userID: admin.id)

            let port = try freePort()
            var server: ServerProcess? = try ServerProcess(home: home, port: port, extra: ["--workers", "1"])
            let base = "http://127.0.0.1:\(port)/api/v1/flows/slow/runs"
            // One worker: the first run executes, the second waits in the queue.
            let running = try await post(base, key: key.plain, json: #"{"inputs": {"seconds": 60}}"#)
            let queued = try await post(base, key: key.plain, json: #"{"inputs": {"seconds": 0}}"#)
            let runningID = try #require(running["run_id"]?.intValue)
            let queuedID = try #require(queued["run_id"]?.intValue)
            // Waiting on another process: its claim shows in the database within milliseconds.
            var claimed = false
            for _ in 0..<200 where !claimed {
                claimed = try await store.run(id: Int64(runningID))?.status == .running
                if !claimed { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(claimed)

            server?.kill(SIGKILL)
            server = nil
            #expect(try await store.run(id: Int64(runningID))?.status == .running)
            #expect(try await store.run(id: Int64(queuedID))?.status == .queued)

            // The restart closes the dead server's run and executes the queued one.
            server = try ServerProcess(home: home, port: port)
            let interrupted = try #require(try await store.run(id: Int64(runningID)))
            #expect(interrupted.status == .failed)
            #expect(interrupted.error == InterruptedRun.error)
            var done = false
            for _ in 0..<400 where !done {
                done = try await store.run(id: Int64(queuedID))?.status == .success
                if !done { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(done, "the queued run did not run after the restart")

            // A clean stop leaves nothing running.
            server?.kill(SIGTERM)
            #expect(server?.process.terminationStatus == 0)
            let left = try await store.listRuns(RunQuery(limit: 100)).filter { $0.status == .running || $0.status == .queued }
            #expect(left.isEmpty, "left unfinished: \(left.map(\.id))")
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

@Suite("TLS", .serialized)
struct TLSTests {
    /// Runs a program to the end and returns its standard output.
    func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("--tls-cert and --tls-key serve HTTPS; plain HTTP is then refused")
    func https() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("wf-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let certificate = home.appendingPathComponent("server.pem").path
        let key = home.appendingPathComponent("server.key").path
        let made = try run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1", "-keyout", key, "-out", certificate])
        #expect(made.status == 0)

        let port = try freePort()
        let server = try ServerProcess(home: home, port: port, extra: ["--tls-cert", certificate, "--tls-key", key])
        let secure = try run("/usr/bin/curl", ["-sk", "--retry", "3", "--retry-connrefused", "https://127.0.0.1:\(port)/healthz"])
        #expect(secure.output.contains("\"status\":\"ok\""))
        let plain = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/healthz"])
        #expect(plain.output != "200")
        server.kill(SIGTERM)
        #expect(server.process.terminationStatus == 0)
    }
}
