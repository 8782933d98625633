import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    static let moduleSource = "class Test(object):\n    pass\n"

    @Test("a saved module reads back with its hash, inspection and version 1; a changed source is version 2; the same source changes nothing", arguments: Backend.all)
    func moduleSaveAndVersions(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let inspection: JSONValue = ["ok": true, "module": ["description": "d", "methods": []]]
            let first = try await store.saveModule(
                category: "test", name: "Test", source: Self.moduleSource, inspection: inspection, author: "ann", comment: "first", mustBeNew: true)
            guard case .created(let created) = first else { Issue.record("expected created, got \(first)"); return }
            #expect(created.qualifiedName == "test.Test")
            #expect(created.currentVersion == 1)
            #expect(created.sourceHash == SQLStore.sourceHash(Self.moduleSource))
            #expect(created.sourceHash.count == 64)
            #expect(created.inspection == inspection)
            #expect(created.createdBy == "ann")
            #expect(created.createdAt == milliseconds(TestClock.start))
            #expect(try await store.module(category: "test", name: "Test") == created)
            #expect(try await store.moduleCategories().map(\.name) == ["test"], "the category came with the module")

            await #expect(throws: StoreError.moduleExists("test.Test")) {
                try await store.saveModule(category: "test", name: "Test", source: "x = 1\n", inspection: nil, author: nil, comment: nil, mustBeNew: true)
            }
            let same = try await store.saveModule(
                category: "test", name: "Test", source: Self.moduleSource, inspection: nil, author: "bob", comment: nil, mustBeNew: false)
            #expect(same == .unchanged(created))

            database.clock.advance(milliseconds: 10)
            let second = try await store.saveModule(
                category: "test", name: "Test", source: "class Test:\n    x = 2\n", inspection: nil, author: "bob", comment: "two", mustBeNew: false)
            guard case .updated(let updated) = second else { Issue.record("expected updated, got \(second)"); return }
            #expect(updated.currentVersion == 2)
            #expect(updated.updatedBy == "bob")
            #expect(updated.createdBy == "ann")
            #expect(updated.inspection == nil)
            let versions = try await store.moduleVersions(category: "test", name: "Test")
            #expect(versions.map(\.number) == [2, 1])
            #expect(versions.map(\.comment) == ["two", "first"])
            #expect(versions.last?.source == Self.moduleSource)
            #expect(try await store.moduleDiff(category: "test", name: "Test", from: 1, to: 2).contains("+    x = 2"))

            let restored = try await store.restoreModuleVersion(1, category: "test", name: "Test", inspection: inspection, author: "cy")
            #expect(restored.currentVersion == 3)
            #expect(restored.source == Self.moduleSource)
            #expect(try await store.moduleVersion(3, category: "test", name: "Test").comment == "restored version 1")
            await #expect(throws: StoreError.moduleVersionNotFound(name: "test.Test", number: 9)) {
                try await store.moduleVersion(9, category: "test", name: "Test")
            }
            #expect(try await store.moduleFingerprints() == [
                ModuleFingerprint(category: "test", name: "Test", sourceHash: restored.sourceHash, currentVersion: 3)
            ])

            try await store.deleteModule(category: "test", name: "Test")
            #expect(try await store.module(category: "test", name: "Test") == nil)
            #expect(try await store.modules().isEmpty)
            await #expect(throws: StoreError.moduleNotFound("test.Test")) { try await store.moduleVersions(category: "test", name: "Test") }
            await #expect(throws: StoreError.moduleNotFound("test.Test")) { try await store.deleteModule(category: "test", name: "Test") }
        }
    }

    @Test("module and category names follow the seed's rules", arguments: Backend.all)
    func moduleNames(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            for bad in ["", "Test", "1abc", "has space", "dash-ed", String(repeating: "a", count: 65)] {
                await #expect(throws: StoreError.self) {
                    try await store.saveModule(category: bad, name: "Ok", source: "", inspection: nil, author: nil, comment: nil, mustBeNew: true)
                }
            }
            for bad in ["", "1Abc", "has space", "a.b", String(repeating: "A", count: 65)] {
                await #expect(throws: StoreError.self) {
                    try await store.saveModule(category: "ok", name: bad, source: "", inspection: nil, author: nil, comment: nil, mustBeNew: true)
                }
            }
            do {
                _ = try await store.createModuleCategory("Bad", author: nil)
                Issue.record("an uppercase category was accepted")
            } catch {
                #expect("\(error)".contains("must start with a lowercase letter"))
            }
            // Imported seed modules may have lowercase class names.
            _ = try await store.saveModule(category: "ok", name: "helpers", source: "", inspection: nil, author: nil, comment: nil, mustBeNew: true)
        }
    }

    @Test("categories: empty ones exist, rename moves the modules, delete refuses a non-empty one", arguments: Backend.all)
    func moduleCategories(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createModuleCategory("empty", author: "ann")
            await #expect(throws: StoreError.moduleCategoryExists("empty")) { try await store.createModuleCategory("empty", author: nil) }
            _ = try await store.saveModule(category: "ops", name: "A", source: "a", inspection: nil, author: nil, comment: nil, mustBeNew: true)
            _ = try await store.saveModule(category: "ops", name: "B", source: "b", inspection: nil, author: nil, comment: nil, mustBeNew: true)
            #expect(try await store.moduleCategories().map(\.name) == ["empty", "ops"])

            await #expect(throws: StoreError.moduleCategoryExists("empty")) { try await store.renameModuleCategory("ops", to: "empty") }
            await #expect(throws: StoreError.moduleCategoryNotFound("nope")) { try await store.renameModuleCategory("nope", to: "other") }
            try await store.renameModuleCategory("ops", to: "tools")
            #expect(try await store.modules().map(\.qualifiedName) == ["tools.A", "tools.B"])
            #expect(try await store.moduleCategories().map(\.name) == ["empty", "tools"])
            #expect(try await store.moduleVersions(category: "tools", name: "A").count == 1, "versions follow")

            await #expect(throws: StoreError.moduleCategoryNotEmpty(name: "tools", modules: 2)) { try await store.deleteModuleCategory("tools") }
            try await store.deleteModuleCategory("empty")
            await #expect(throws: StoreError.moduleCategoryNotFound("empty")) { try await store.deleteModuleCategory("empty") }
        }
    }
}
