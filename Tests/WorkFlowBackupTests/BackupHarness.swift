import Foundation
import Logging
import Synchronization
import WorkFlowBackup
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// A clock that moves only when told to.
final class TestClock: Sendable {
    /// 2026-01-01T00:00:00.123Z
    static let start = Date(timeIntervalSince1970: 1_767_225_600.123)
    private let current = Mutex(TestClock.start)

    func now() -> Date { current.withLock { $0 } }

    func advance(seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A temporary SQLite store and modules folder for one test.
struct BackupHarness: Sendable {
    let folder: URL
    let store: SQLStore
    let clock: TestClock
    var modulesFolder: URL { folder.appendingPathComponent("modules") }

    static let registry = BuiltinModules.registry()

    /// Runs `body` with a fresh store, closed and removed afterwards.
    static func with<T>(_ body: (BackupHarness) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let clock = TestClock()
        let store = try await Store.open(
            url: "sqlite://" + folder.appendingPathComponent("workflow.db").path,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), now: { clock.now() })
        let harness = BackupHarness(folder: folder, store: store, clock: clock)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let result = try await body(harness)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    var restorer: BackupRestorer {
        let clock = self.clock
        return BackupRestorer(
            flows: store, settings: store, modulesFolder: modulesFolder, schedules: store, users: store, now: { clock.now() })
    }

    var writer: BackupWriter { writer() }

    func writer(includePasswordHashes: Bool = false) -> BackupWriter {
        BackupWriter(
            flows: store, settings: store, modulesFolder: modulesFolder, schedules: store, users: store,
            includePasswordHashes: includePasswordHashes)
    }

    /// Reads, plans and applies `data` as `workflow restore` does.
    func restore(_ data: Data, limits: BackupLimits = .standard) async throws(BackupError) -> RestoreResult {
        let archive = try BackupArchive.read(
            data, registry: Self.registry, installedModules: try ModuleFiles.installedModuleNames(in: modulesFolder), limits: limits)
        let plan = try await restorer.plan(archive)
        return await restorer.apply(plan, author: "tester", source: "test.zip")
    }

    /// Writes a module source under the modules folder.
    func writeModule(_ relativePath: String, _ text: String) throws {
        let url = modulesFolder.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Everything a restore could change, for before-and-after comparisons.
    func snapshot() async throws -> StoreSnapshot {
        var flows: [StoredFlow] = []
        var versions: [String: [FlowVersion]] = [:]
        for flow in try await store.listFlows(FlowQuery(includeDeleted: true, limit: 1000)) {
            flows.append(flow)
            versions[flow.name] = try await store.versions(of: flow.name)
        }
        var modules: [String: Data] = [:]
        if let enumerator = FileManager.default.enumerator(at: modulesFolder, includingPropertiesForKeys: nil) {
            for case let url as URL in enumerator {
                modules[url.path] = FileManager.default.contents(atPath: url.path)
            }
        }
        return StoreSnapshot(flows: flows, versions: versions, settings: try await store.settings(), modules: modules)
    }
}

struct StoreSnapshot: Equatable {
    var flows: [StoredFlow]
    var versions: [String: [FlowVersion]]
    var settings: [String: JSONValue]
    var modules: [String: Data]
}

let greetFlow: JSONObject = [
    "procedures": [["name": "greet", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hi ${var.who}"]]],
    "variables": ["who": "ops"],
]

func document(_ text: String) throws -> JSONObject {
    guard case .object(let object) = try JSONParser.parse(text) else { throw BackupError.file(path: "test", message: "not an object") }
    return object
}
