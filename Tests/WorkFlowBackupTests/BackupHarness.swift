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

/// The module library of backup tests: sources in the harness's store, and a stand-in for the
/// Python inspector. A line holding `!!!` is a syntax error there; `class <Name>` makes the module
/// callable, with a method for each `def <method>(self, context, cfgs)`; anything else is saved
/// with a problem.
final class StoreModuleSources: BackupModuleSources {
    let store: SQLStore
    let registry: ModuleRegistry
    /// The sources of each `check` call, and how often the library reloaded.
    private let calls = Mutex<(checks: [[String]], reloads: Int)>(([], 0))

    init(store: SQLStore, registry: ModuleRegistry) {
        self.store = store
        self.registry = registry
    }

    var checkCalls: [[String]] { calls.withLock { $0.checks } }
    var reloads: Int { calls.withLock { $0.reloads } }

    func isBuiltIn(_ qualifiedName: String) -> Bool {
        registry.module(named: qualifiedName) != nil
    }

    func storedModules() async throws -> [StoredModule] {
        try await store.modules()
    }

    func check(_ sources: [ModuleSource]) async throws -> [ModuleCheck] {
        calls.withLock { $0.checks.append(sources.map(\.qualifiedName)) }
        return sources.map(Self.inspect)
    }

    static func inspect(_ source: ModuleSource) -> ModuleCheck {
        let lines = source.source.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if let marker = line.range(of: "!!!") {
                let column = line.distance(from: line.startIndex, to: marker.lowerBound) + 1
                return ModuleCheck(outcome: .refused(message: "syntax error: invalid syntax", line: index + 1, column: column), inspection: ["ok": false])
            }
        }
        guard lines.contains(where: { $0.hasPrefix("class \(source.name):") || $0.hasPrefix("class \(source.name)(") }) else {
            return ModuleCheck(outcome: .broken("the file defines no class named \(source.name)"), inspection: ["ok": false])
        }
        let methods = lines.compactMap { line -> MethodDescriptor? in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("def "), text.contains("(self, context"), let open = text.firstIndex(of: "(") else { return nil }
            return MethodDescriptor(String(text[text.index(text.startIndex, offsetBy: 4)..<open]), doc: "", parameters: [], result: "")
        }
        let descriptor = ModuleDescriptor(name: source.qualifiedName, doc: "", methods: methods, checksParameterTypes: false)
        return ModuleCheck(outcome: .callable(descriptor), inspection: ["ok": true])
    }

    func save(_ source: ModuleSource, check: ModuleCheck, author: String, comment: String) async throws -> ModuleSaveOutcome {
        try await store.saveModule(
            category: source.category, name: source.name, source: source.source, inspection: check.inspection, author: author,
            comment: comment, mustBeNew: false)
    }

    func reload() async {
        calls.withLock { $0.reloads += 1 }
    }
}

/// A temporary SQLite store for one test, with its module library.
struct BackupHarness: Sendable {
    let folder: URL
    let store: SQLStore
    let clock: TestClock
    let modules: StoreModuleSources

    static let registry = BuiltinModules.registry()

    /// Runs `body` with a fresh store, closed and removed afterwards.
    static func with<T>(_ body: (BackupHarness) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let clock = TestClock()
        let store = try await Store.open(
            url: "sqlite://" + folder.appendingPathComponent("workflow.db").path,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), now: { clock.now() })
        let harness = BackupHarness(folder: folder, store: store, clock: clock, modules: StoreModuleSources(store: store, registry: registry))
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
        return BackupRestorer(flows: store, settings: store, modules: modules, schedules: store, users: store, now: { clock.now() })
    }

    var writer: BackupWriter { writer() }

    func writer(includePasswordHashes: Bool = false) -> BackupWriter {
        BackupWriter(
            flows: store, settings: store, modules: modules, schedules: store, users: store, includePasswordHashes: includePasswordHashes)
    }

    /// Reads, plans and applies `data` as `workflow restore` does.
    func restore(_ data: Data, limits: BackupLimits = .standard) async throws(BackupError) -> RestoreResult {
        let archive = try await BackupArchive.read(data, registry: Self.registry, modules: modules, limits: limits)
        let plan = try await restorer.plan(archive)
        return await restorer.apply(plan, author: "tester", source: "test.zip")
    }

    /// Saves a custom module (`category.Name`) in the store, as the module library would.
    func storeModule(_ qualifiedName: String, _ text: String, author: String = "alice") async throws {
        let parts = qualifiedName.split(separator: ".").map(String.init)
        _ = try await store.saveModule(
            category: parts[0], name: parts[1], source: text, inspection: nil, author: author, comment: nil, mustBeNew: false)
    }

    /// Everything a restore could change, for before-and-after comparisons.
    func snapshot() async throws -> StoreSnapshot {
        var flows: [StoredFlow] = []
        var versions: [String: [FlowVersion]] = [:]
        for flow in try await store.listFlows(FlowQuery(includeDeleted: true, limit: 1000)) {
            flows.append(flow)
            versions[flow.name] = try await store.versions(of: flow.name)
        }
        var modules: [String: [String]] = [:]
        for module in try await store.modules() {
            modules[module.qualifiedName] = try await store.moduleVersions(category: module.category, name: module.name).map { "v\($0.number): \($0.source)" }
        }
        return StoreSnapshot(flows: flows, versions: versions, settings: try await store.settings(), modules: modules)
    }
}

struct StoreSnapshot: Equatable {
    var flows: [StoredFlow]
    var versions: [String: [FlowVersion]]
    var settings: [String: JSONValue]
    /// Each module's versions, newest first.
    var modules: [String: [String]]
}

let greetFlow: JSONObject = [
    "procedures": [["name": "greet", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hi ${var.who}"]]],
    "variables": ["who": "ops"],
]

func document(_ text: String) throws -> JSONObject {
    guard case .object(let object) = try JSONParser.parse(text) else { throw BackupError.file(path: "test", message: "not an object") }
    return object
}
