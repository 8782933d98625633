import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

/// A clock the tests move by hand.
final class TestNow: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { [self] in self.now } }
}

/// A server on a temporary SQLite store with an administrator (`admin`) and an API key for them.
struct ServerHarness {
    let directory: URL
    let store: SQLStore
    let server: WorkFlowServer
    let adminKey: String
    let clock: TestNow
    /// The run queue's workers, as `workflow serve` runs them.
    let workers: Task<Void, Never>
    static let password = "correct horse battery"
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `registry`, `clock` and `metrics` replace the built-in modules, real time and a fresh registry.
    static func make(
        registry: ModuleRegistry = BuiltinModules.registry(), clock engineClock: any EngineClock = SystemClock(),
        metrics: ServerMetrics = ServerMetrics()
    ) async throws -> ServerHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await Store.open(url: "sqlite://" + directory.appendingPathComponent("workflow.db").path, logger: quiet)
        let clock = TestNow()
        var options = ServerOptions(home: directory.path, synchronousRunTimeout: .seconds(30), passwordCost: 4)
        // Every change stored before the hub tells of it, so tests see one order of events.
        options.stepWriteDelay = nil
        let modules = ModuleLibrary(
            store: store, builtins: registry, folder: directory.appendingPathComponent("modules"), logger: quiet)
        let server = WorkFlowServer(
            store: store, modules: modules, options: options, logger: quiet, node: "test:1", clock: engineClock, now: clock.function,
            metrics: metrics)
        let hash = try await PasswordHasher(cost: 4).hash(password)
        let admin = try await store.createUser(username: "admin", passwordHash: hash, isAdmin: true)
        let key = APIKeyFormat.generate()
        _ = try await store.createAPIKey(name: "admin-key", prefix: key.prefix, keyHash: key.hash, userID: admin.id)
        let workers = Task { await server.runs.runWorkers() }
        return ServerHarness(directory: directory, store: store, server: server, adminKey: key.plain, clock: clock, workers: workers)
    }

    /// Runs `body` against the router in process, then closes the store and removes the folder.
    func test(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        let app = Application(router: server.router(), logger: Self.quiet)
        do {
            try await app.test(.router) { client in try await body(Client(client: client, adminKey: adminKey)) }
        } catch {
            await close()
            throw error
        }
        await close()
    }

    /// Runs `body` against the server listening on a port of 127.0.0.1 (for the browser tests),
    /// then closes the store and removes the folder.
    func live(_ body: @escaping @Sendable (_ base: String) async throws -> Void) async throws {
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.quiet)
        do {
            try await app.test(.live) { client in
                let port = try #require(client.port)
                try await body("http://127.0.0.1:\(port)")
            }
        } catch {
            await close()
            throw error
        }
        await close()
    }

    func close() async {
        await server.runs.shutdown(grace: .seconds(5))
        workers.cancel()
        await workers.value
        await store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A key for a new non-admin user.
    func userKey(_ username: String) async throws -> String {
        let user = try await store.createUser(username: username, passwordHash: try await PasswordHasher(cost: 4).hash(Self.password), isAdmin: false)
        let key = APIKeyFormat.generate()
        _ = try await store.createAPIKey(name: "\(username)-key", prefix: key.prefix, keyHash: key.hash, userID: user.id)
        return key.plain
    }
}

/// The answer to one request: status, headers and the body parsed as JSON (when it is JSON).
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String
    /// The body's bytes, for answers that are not text (a backup ZIP).
    var bytes: [UInt8] = []
    var json: JSONValue { (try? JSONParser.parse(text)) ?? .null }
}

/// Sends requests as the administrator's key unless told otherwise.
struct Client: Sendable {
    let client: any TestClientProtocol
    let adminKey: String

    enum As: Sendable {
        case admin, nobody
        case key(String)
        case session(cookie: String, csrf: String?)
    }

    func send(
        _ method: HTTPRequest.Method, _ uri: String, as caller: As = .admin, body: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(method, uri, as: caller, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Sends `body` as it is, with `contentType` (if any).
    func send(
        _ method: HTTPRequest.Method, _ uri: String, as caller: As = .admin, bytes body: [UInt8], contentType: String?
    ) async throws -> Answer {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        return try await execute(method, uri, as: caller, headers: headers, body: ByteBuffer(bytes: body))
    }

    private func execute(
        _ method: HTTPRequest.Method, _ uri: String, as caller: As, headers extra: HTTPFields, body: ByteBuffer?
    ) async throws -> Answer {
        var headers = extra
        switch caller {
        case .admin: headers[HTTPField.Name("X-Api-Key")!] = adminKey
        case .nobody: break
        case .key(let key): headers[.authorization] = "Bearer \(key)"
        case .session(let cookie, let csrf):
            headers[.cookie] = cookie
            if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Answer(
                status: response.status, headers: response.headers, text: String(buffer: response.body),
                bytes: Array(response.body.readableBytesView))
        }
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, as caller: As = .admin, json: JSONValue) async throws -> Answer {
        try await send(method, uri, as: caller, body: JSONWriter.string(from: json))
    }
}

let helloSteps: JSONValue = [["name": "greet", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hi ${var.who}"]]]
/// `helloSteps` with the variable they need.
let helloDocument: JSONValue = ["procedures": helloSteps, "variables": ["who": "ops"]]
