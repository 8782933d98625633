import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    @Test("an imported workflow keeps its history's authors, comments and times, numbered 1, 2, ...", arguments: Backend.all)
    func importWithHistory(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let first = try object(Self.helloDocument)
            var second = first
            second["variables"] = ["who": "ops"]
            let day: TimeInterval = 86_400
            let history = [
                FlowVersion(flowName: "x", number: 7, author: "alice", comment: "first", document: first, createdAt: milliseconds(TestClock.start)),
                FlowVersion(flowName: "x", number: 9, author: nil, comment: nil, document: second, createdAt: milliseconds(TestClock.start + day)),
            ]
            let flow = try await store.importFlow(name: "hello", enabled: false, versions: history)
            #expect(flow.currentVersion == 2)
            #expect(flow.document == second)
            #expect(!flow.enabled)
            #expect(flow.createdAt == milliseconds(TestClock.start))
            #expect(flow.updatedAt == milliseconds(TestClock.start + day))
            #expect(flow.createdBy == "alice")
            #expect(flow.updatedBy == nil)
            #expect(try await store.flow(named: "hello") == flow)

            let versions = try await store.versions(of: "hello")
            #expect(versions.map(\.number) == [2, 1])
            #expect(versions.map(\.author) == [nil, "alice"])
            #expect(versions.map(\.comment) == [nil, "first"])
            #expect(versions.map(\.document) == [second, first])
            #expect(versions.map(\.createdAt) == [milliseconds(TestClock.start + day), milliseconds(TestClock.start)])

            // The imported workflow goes on like any other.
            let updated = try await store.updateFlow(name: "hello", document: first, author: "bob", comment: nil)
            #expect(updated.currentVersion == 3)
        }
    }

    @Test("importing over a taken name, an invalid name or no versions is refused and writes nothing", arguments: Backend.all)
    func importRefused(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let document = try object(Self.helloDocument)
            let version = FlowVersion(flowName: "x", number: 1, author: nil, comment: nil, document: document, createdAt: TestClock.start)
            _ = try await store.createFlow(name: "hello", document: document, author: "alice", comment: nil)
            await #expect(throws: StoreError.flowExists("hello")) {
                try await store.importFlow(name: "hello", enabled: true, versions: [version])
            }
            await #expect(throws: StoreError.self) {
                try await store.importFlow(name: " padded", enabled: true, versions: [version])
            }
            await #expect(throws: StoreError.self) {
                try await store.importFlow(name: "empty", enabled: true, versions: [])
            }
            #expect(try await store.listFlows(FlowQuery()).map(\.name) == ["hello"])
            #expect(try await store.versions(of: "hello").count == 1)
        }
    }
}
