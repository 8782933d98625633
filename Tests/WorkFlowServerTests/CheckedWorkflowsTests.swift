import Foundation
import Testing
import WorkFlowStore
import WorkFlowEngine
import WorkFlowModules

@testable import WorkFlowServer

@Suite("checked workflow documents")
struct CheckedWorkflowsTests {
    @Test("a document is read once per name and version, and a different document under the same key is read afresh")
    func cache() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-checked-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await Store.open(url: "sqlite://" + directory.appendingPathComponent("workflow.db").path, logger: ServerHarness.quiet)
        defer { Task { await store.close() } }
        let modules = ModuleLibrary(store: store, builtins: BuiltinModules.registry(), folder: directory.appendingPathComponent("modules"), logger: ServerHarness.quiet)
        let checked = CheckedWorkflows(modules: modules)
        let good: JSONObject = ["procedures": [["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hi"]]]]
        let bad: JSONObject = ["procedures": [["name": "a", "mod": "common.Nope", "method": "x"]]]

        let first = checked.check(good, flowName: "hello", version: 1)
        #expect(first.issues.isEmpty)
        #expect(checked.check(good, flowName: "hello", version: 1).issues.isEmpty)
        // Same name and version (a workflow deleted and created again), another document.
        let second = checked.check(bad, flowName: "hello", version: 1)
        #expect(second.issues.map(\.path) == ["procedures[0].mod"])
        #expect(checked.check(good, flowName: "hello", version: 2).issues.isEmpty)
    }
}
