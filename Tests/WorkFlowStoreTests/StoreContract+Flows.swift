import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    static let helloDocument = #"{"procedures": [{"name": "hi", "mod": "common.Kt", "method": "run", "params": {"msg": "hi"}}], "variables": {}}"#

    @Test("a created workflow reads back with every field, and its version 1 carries the author and comment", arguments: Backend.all)
    func createAndRead(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let document = try object(Self.helloDocument)
            let created = try await store.createFlow(name: "hello", document: document, author: "alice", comment: "first")
            #expect(created.name == "hello")
            #expect(created.document == document)
            #expect(created.enabled)
            #expect(!created.deleted)
            #expect(created.currentVersion == 1)
            #expect(created.createdAt == milliseconds(TestClock.start))
            #expect(created.updatedAt == milliseconds(TestClock.start))
            #expect(created.createdBy == "alice")
            #expect(created.updatedBy == "alice")
            #expect(try await store.flow(named: "hello") == created)
            #expect(try await store.flow(named: "missing") == nil)

            let versions = try await store.versions(of: "hello")
            #expect(
                versions == [
                    FlowVersion(
                        flowName: "hello", number: 1, author: "alice", comment: "first", document: document,
                        createdAt: milliseconds(TestClock.start))
                ])
            _ = database
        }
    }

    @Test("names must be non-empty, at most 128 characters and without surrounding spaces", arguments: Backend.all)
    func nameRules(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let long = String(repeating: "n", count: 129)
            let cases: [(String, StoreError)] = [
                ("", .invalidName("the name is empty")),
                (long, .invalidName("'nnnnnnnnnnnnnnnnnnnn…' is 129 characters long; the limit is 128")),
                (" lead", .invalidName("' lead' starts or ends with a space")),
                ("trail\t", .invalidName("'trail\t' starts or ends with a space")),
            ]
            for (name, expected) in cases {
                await #expect(throws: expected) {
                    try await store.createFlow(name: name, document: [:], author: nil)
                }
            }
            let longest = String(repeating: "é", count: 128)
            let created = try await store.createFlow(name: longest, document: [:], author: nil)
            #expect(created.name == longest)
            let count = try await store.listFlows().count
            #expect(count == 1)
        }
    }

    @Test("a second live workflow with the same name is refused, and nothing is written", arguments: Backend.all)
    func uniqueNames(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: ["a": 1], author: "alice")
            await #expect(throws: StoreError.flowExists("etl")) {
                try await store.createFlow(name: "etl", document: ["b": 2], author: "bob")
            }
            #expect(try await store.flow(named: "etl")?.document == ["a": 1])
            #expect(try await store.versions(of: "etl").count == 1)
            // Names are case-sensitive, as in the seed.
            #expect(try await store.createFlow(name: "ETL", document: [:], author: nil).name == "ETL")
        }
    }

    @Test("listing filters by text (case-insensitive, wildcards literal) and enabled, pages, and hides deleted ones", arguments: Backend.all)
    func listing(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            for name in ["daily_report", "daily-backup", "nightly", "100%_sure", "other"] {
                _ = try await store.createFlow(name: name, document: [:], author: nil)
            }
            _ = try await store.setEnabled(name: "nightly", enabled: false)
            let deletedName = try await store.deleteFlow(name: "other", author: nil)

            #expect(try await store.listFlows().map(\.name) == ["100%_sure", "daily-backup", "daily_report", "nightly"])
            #expect(try await store.listFlows(FlowQuery(text: "DAILY")).map(\.name) == ["daily-backup", "daily_report"])
            #expect(try await store.listFlows(FlowQuery(text: "y_")).map(\.name) == ["daily_report"])
            #expect(try await store.listFlows(FlowQuery(text: "%")).map(\.name) == ["100%_sure"])
            #expect(try await store.listFlows(FlowQuery(enabled: false)).map(\.name) == ["nightly"])
            #expect(try await store.listFlows(FlowQuery(enabled: true, limit: 2, offset: 1)).map(\.name) == ["daily-backup", "daily_report"])
            #expect(try await store.listFlows(FlowQuery(text: "other")) == [])
            let withDeleted = try await store.listFlows(FlowQuery(text: "other", includeDeleted: true))
            #expect(withDeleted.map(\.name) == [deletedName])
            #expect(withDeleted.first?.deleted == true)
        }
    }

    @Test("an update writes the next version with its author and comment", arguments: Backend.all)
    func update(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            _ = try await store.createFlow(name: "etl", document: ["v": 1], author: "alice")
            database.clock.advance(milliseconds: 1_500)
            let updated = try await store.updateFlow(name: "etl", document: ["v": 2], author: "bob", comment: "faster")
            #expect(updated.currentVersion == 2)
            #expect(updated.document == ["v": 2])
            #expect(updated.updatedBy == "bob")
            #expect(updated.createdBy == "alice")
            #expect(updated.updatedAt == milliseconds(TestClock.start.addingTimeInterval(1.5)))
            #expect(try await store.flow(named: "etl") == updated)
            let versions = try await store.versions(of: "etl")
            #expect(versions.map(\.number) == [2, 1])
            #expect(versions.map(\.author) == ["bob", "alice"])
            #expect(versions.map(\.comment) == ["faster", nil])
            await #expect(throws: StoreError.flowNotFound("nope")) {
                try await store.updateFlow(name: "nope", document: [:], author: nil)
            }
        }
    }

    @Test("a rename moves the workflow and its versions to the new name and records 'renamed from'", arguments: Backend.all)
    func rename(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "old", document: ["v": 1], author: "alice")
            _ = try await store.createFlow(name: "taken", document: [:], author: nil)
            let renamed = try await store.renameFlow(from: "old", to: "new", author: "bob")
            #expect(renamed.name == "new")
            #expect(renamed.currentVersion == 2)
            #expect(renamed.document == ["v": 1])
            #expect(try await store.flow(named: "old") == nil)
            #expect(try await store.flow(named: "new") == renamed)
            let latest = try await store.version(2, of: "new")
            #expect(latest.comment == "renamed from old")
            #expect(latest.author == "bob")
            #expect(latest.flowName == "new")
            #expect(try await store.versions(of: "new").map(\.number) == [2, 1])

            await #expect(throws: StoreError.flowExists("taken")) {
                try await store.renameFlow(from: "new", to: "taken", author: nil)
            }
            await #expect(throws: StoreError.flowNotFound("old")) {
                try await store.renameFlow(from: "old", to: "newer", author: nil)
            }
            await #expect(throws: StoreError.invalidName("' new' starts or ends with a space")) {
                try await store.renameFlow(from: "new", to: " new", author: nil)
            }
            await #expect(throws: StoreError.invalidName("'new' is already the workflow's name")) {
                try await store.renameFlow(from: "new", to: "new", author: nil)
            }
            #expect(try await store.flow(named: "new")?.currentVersion == 2)
        }
    }

    @Test("a delete renames to <name>_<UTC time>_deleted, disables, hides the workflow and frees its name", arguments: Backend.all)
    func softDelete(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let original = try await store.createFlow(name: "etl", document: ["v": 1], author: "alice")
            let deletedName = try await store.deleteFlow(name: "etl", author: "bob")
            #expect(deletedName == "etl_2026-01-01_00:00:00.123_deleted")
            #expect(try await store.flow(named: "etl") == nil)
            #expect(try await store.listFlows() == [])

            let deleted = try #require(try await store.flow(named: deletedName))
            #expect(deleted.id == original.id)
            #expect(deleted.deleted)
            #expect(!deleted.enabled)
            #expect(deleted.updatedBy == "bob")
            #expect(deleted.currentVersion == 1)
            #expect(try await store.versions(of: deletedName).count == 1)

            let again = try await store.createFlow(name: "etl", document: ["v": 2], author: "carol")
            #expect(again.id != original.id)
            #expect(try await store.versions(of: "etl").map(\.number) == [1])

            await #expect(throws: StoreError.flowNotFound(deletedName)) {
                try await store.deleteFlow(name: deletedName, author: nil)
            }
            await #expect(throws: StoreError.flowNotFound(deletedName)) {
                try await store.updateFlow(name: deletedName, document: [:], author: nil)
            }
            await #expect(throws: StoreError.flowNotFound("missing")) {
                try await store.deleteFlow(name: "missing", author: nil)
            }
        }
    }

    @Test("enabling and disabling change only the flag", arguments: Backend.all)
    func enableDisable(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            let disabled = try await store.setEnabled(name: "etl", enabled: false, author: "ops")
            #expect(!disabled.enabled)
            #expect(disabled.updatedBy == "ops")
            #expect(try await store.flow(named: "etl") == disabled)
            #expect(try await store.setEnabled(name: "etl", enabled: true).enabled)
            #expect(try await store.flow(named: "etl")?.enabled == true)
            #expect(try await store.versions(of: "etl").count == 1)
            await #expect(throws: StoreError.flowNotFound("nope")) {
                try await store.setEnabled(name: "nope", enabled: true)
            }
        }
    }

    @Test("versions are numbered 1, 2, 3 per workflow; a missing one is a typed error", arguments: Backend.all)
    func versionLookups(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            _ = try await store.createFlow(name: "a", document: ["n": 1], author: "alice", comment: "created")
            _ = try await store.createFlow(name: "b", document: [:], author: nil)
            database.clock.advance(milliseconds: 10)
            _ = try await store.updateFlow(name: "a", document: ["n": 2], author: "bob")
            database.clock.advance(milliseconds: 10)
            _ = try await store.updateFlow(name: "a", document: ["n": 3], author: nil, comment: "third")
            let versions = try await store.versions(of: "a")
            #expect(versions.map(\.number) == [3, 2, 1])
            #expect(versions.map(\.author) == [nil, "bob", "alice"])
            #expect(versions.map(\.createdAt) == [0.02, 0.01, 0].map { milliseconds(TestClock.start.addingTimeInterval($0)) })
            #expect(try await store.version(2, of: "a").document == ["n": 2])
            #expect(try await store.versions(of: "b").map(\.number) == [1])
            await #expect(throws: StoreError.versionNotFound(name: "a", number: 9)) {
                try await store.version(9, of: "a")
            }
            await #expect(throws: StoreError.flowNotFound("zzz")) {
                try await store.version(1, of: "zzz")
            }
            await #expect(throws: StoreError.flowNotFound("zzz")) {
                try await store.versions(of: "zzz")
            }
        }
    }

    @Test("the diff of two versions is a unified diff of the pretty-printed documents", arguments: Backend.all)
    func diffText(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let v1 = try object(
                #"{"procedures": [{"name": "a", "mod": "common.Kt", "method": "run", "params": {"msg": "hi", "n": 1}}], "variables": {"x": 1, "y": 2}}"#
            )
            let v2 = try object(
                #"{"procedures": [{"name": "a", "mod": "common.Kt", "method": "run", "params": {"msg": "hello", "n": 1}}], "variables": {"x": 1, "y": 2, "z": 3}}"#
            )
            _ = try await store.createFlow(name: "greet", document: v1, author: nil)
            _ = try await store.updateFlow(name: "greet", document: v2, author: nil)
            let expected = """
                --- v1
                +++ v2
                @@ -5,13 +5,14 @@
                       "mod": "common.Kt",
                       "method": "run",
                       "params": {
                -        "msg": "hi",
                +        "msg": "hello",
                         "n": 1
                       }
                     }
                   ],
                   "variables": {
                     "x": 1,
                -    "y": 2
                +    "y": 2,
                +    "z": 3
                   }
                 }

                """
            #expect(try await store.diff(of: "greet", from: 1, to: 2) == expected)
            #expect(try await store.diff(of: "greet", from: 2, to: 2) == "--- v2\n+++ v2\n")
            await #expect(throws: StoreError.versionNotFound(name: "greet", number: 3)) {
                try await store.diff(of: "greet", from: 1, to: 3)
            }
        }
    }

    @Test("restoring a version makes its document current as a new version", arguments: Backend.all)
    func restore(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: ["v": 1], author: "alice")
            _ = try await store.updateFlow(name: "etl", document: ["v": 2], author: "bob")
            let restored = try await store.restoreVersion(1, of: "etl", author: "carol")
            #expect(restored.currentVersion == 3)
            #expect(restored.document == ["v": 1])
            #expect(try await store.flow(named: "etl") == restored)
            let latest = try await store.version(3, of: "etl")
            #expect(latest.comment == "restored version 1")
            #expect(latest.author == "carol")
            #expect(latest.document == ["v": 1])
            await #expect(throws: StoreError.versionNotFound(name: "etl", number: 7)) {
                try await store.restoreVersion(7, of: "etl", author: nil)
            }
            await #expect(throws: StoreError.flowNotFound("gone")) {
                try await store.restoreVersion(1, of: "gone", author: nil)
            }
            #expect(try await store.flow(named: "etl")?.currentVersion == 3)
        }
    }

    @Test("any JSON document round-trips with its key order, numbers, unicode and escapes", arguments: Backend.all)
    func documentRoundTrip(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let text = #"""
                {"zeta": 1, "alpha": [1, 2.5, -3e-7, true, null, "x"], "名前": {"b": "\"quoted\" \\ back\nslash", "a": {}},
                 "emoji": "🚀", "_connections": [], "procedures": "not even a list"}
                """#
            let document = try object(text)
            _ = try await store.createFlow(name: "odd", document: document, author: nil)
            let read = try #require(try await store.flow(named: "odd"))
            #expect(read.document == document)
            #expect(Array(read.document.keys) == ["zeta", "alpha", "名前", "emoji", "_connections", "procedures"])
            #expect(try await store.version(1, of: "odd").document == document)
        }
    }
}
