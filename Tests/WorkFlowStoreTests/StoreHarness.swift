import Foundation
import Logging
import Synchronization
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

/// The databases the contract suite runs on.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    /// The admin URL of the PostgreSQL to test against (scripts/test.sh starts one and sets it).
    static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["WORKFLOW_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// SQLite always; PostgreSQL when `WORKFLOW_TEST_POSTGRES_URL` is set (see ``StoreContract/postgresCases()``).
    static let all: [Backend] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]

    var testDescription: String { rawValue }
}

/// A clock that moves only when told to; every store write takes its time from here.
final class TestClock: Sendable {
    /// 2026-01-01T00:00:00.123Z
    static let start = Date(timeIntervalSince1970: 1_767_225_600.123)
    private let current = Mutex(TestClock.start)

    func now() -> Date { current.withLock { $0 } }

    func advance(milliseconds: Int) {
        current.withLock { $0 = $0.addingTimeInterval(TimeInterval(milliseconds) / 1000) }
    }
}

/// A fresh, migrated database for one test, removed afterwards.
struct TestDatabase: Sendable {
    let backend: Backend
    /// The URL ``Store/open(url:logger:now:)`` accepts for this database.
    let url: String
    let clock = TestClock()
    private let remove: @Sendable () async throws -> Void

    private init(backend: Backend, url: String, remove: @escaping @Sendable () async throws -> Void) {
        self.backend = backend
        self.url = url
        self.remove = remove
    }

    static let quietLogger = Logger(label: "workflow.store.test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Opens another store on this database (migrating it, as at start-up).
    func open() async throws -> SQLStore {
        let clock = self.clock
        return try await Store.open(url: url, logger: Self.quietLogger, now: { clock.now() })
    }

    /// Creates the database: a temporary SQLite file, or a PostgreSQL database `t_<uuid>`
    /// created through the admin URL so that tests never see each other's rows.
    static func create(_ backend: Backend) async throws -> TestDatabase {
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-store-\(UUID().uuidString)")
            let path = folder.appendingPathComponent("nested/workflow.db").path
            return TestDatabase(backend: backend, url: "sqlite://\(path)") {
                try? FileManager.default.removeItem(at: folder)
            }
        case .postgres:
            guard let adminURL = Backend.postgresURL, var components = URLComponents(string: adminURL) else {
                throw StoreError.unsupportedURL("WORKFLOW_TEST_POSTGRES_URL", reason: "not set")
            }
            let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try await withAdmin(adminURL) { session in try await session.run("CREATE DATABASE \(ident: name)") }
            components.path = "/\(name)"
            guard let url = components.string else { throw StoreError.unsupportedURL(adminURL, reason: "cannot build a URL") }
            return TestDatabase(backend: backend, url: url) {
                try await withAdmin(adminURL) { session in
                    try await session.run("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)")
                }
            }
        }
    }

    private static func withAdmin(_ url: String, _ body: (StoreSession) async throws -> Void) async throws {
        let admin = try await StoreDatabase.postgres(url: url, maxConnections: 2, logger: quietLogger)
        do {
            try await admin.withConnection(body)
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }

    func destroy() async throws {
        try await remove()
    }
}

/// Runs `body` with a store on a fresh database, then closes the store and removes the database.
func withStore(
    _ backend: Backend, _ body: (SQLStore, TestDatabase) async throws -> Void
) async throws {
    let database = try await TestDatabase.create(backend)
    do {
        let store = try await database.open()
        do {
            try await body(store, database)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    } catch {
        try? await database.destroy()
        throw error
    }
    try await database.destroy()
}

/// Truncates a date to whole milliseconds, as the store keeps it.
func milliseconds(_ date: Date) -> Date {
    StoreTime.date(StoreTime.milliseconds(date))
}

/// A JSON object from literal text (test documents).
func object(_ text: String) throws -> JSONObject {
    guard case .object(let object) = try JSONParser.parse(text) else {
        throw StoreError.corruptValue(table: "test", column: "document", problem: "not an object")
    }
    return object
}

/// The probe module the recorder tests run: `ok` echoes its parameters and logs a line, `fail`
/// fails, `close` closes the store's database in the middle of the run.
struct ProbeModule: Module {
    let onClose: @Sendable () async -> Void

    init(onClose: @escaping @Sendable () async -> Void = {}) {
        self.onClose = onClose
    }

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "test.Probe", doc: "Test steps.",
            methods: [
                MethodDescriptor("ok", doc: "Echoes.", parameters: [ParameterDescriptor("value", .any, doc: "Echoed.")], result: ""),
                MethodDescriptor("fail", doc: "Fails.", parameters: [ParameterDescriptor("message", .string, doc: "Why.")], result: ""),
                MethodDescriptor("close", doc: "Closes the database.", parameters: [], result: ""),
            ])
    }

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        switch method {
        case "ok":
            context.logger.info("echoing \(context.stepName)")
            return .success(["status": true, "zeta": 1, "alpha": params["value"] ?? .null])
        case "fail":
            let message = params["message"]?.stringValue ?? "probe failed"
            context.logger.error(message)
            return .failure(["status": false, "error": .string(message)], error: message)
        case "close":
            await onClose()
            return .success(["status": true])
        default:
            throw UnknownMethodError(module: "test.Probe", method: method, available: ["ok", "fail", "close"])
        }
    }
}
