import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    @Test("migrations apply once at open, and re-opening applies nothing", arguments: Backend.all)
    func migrationsApplyOnce(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let status = try await store.migrationStatus()
            #expect(
                status.map(\.name) == [
                    "0001_flows", "0002_runs", "0003_syslog", "0004_settings", "0005_run_queue", "0006_auth", "0007_schedules",
                    "0008_webhooks", "0009_user_profile", "0010_modules",
                ])
            #expect(status.allSatisfy { $0.appliedAt == milliseconds(TestClock.start) })
            #expect(try await store.migrate() == [])

            database.clock.advance(milliseconds: 5_000)
            let reopened = try await database.open()
            #expect(try await reopened.migrationStatus() == status)
            await reopened.close()
        }
    }

    @Test("a store opened without migrating lists every migration as pending", arguments: Backend.all)
    func pendingMigrations(backend: Backend) async throws {
        let database = try await TestDatabase.create(backend)
        let raw: StoreDatabase
        switch try StoreURL.parse(database.url) {
        case .sqlite(let path): raw = try await StoreDatabase.sqlite(path: path, logger: TestDatabase.quietLogger)
        case .postgres(let url): raw = try await StoreDatabase.postgres(url: url, logger: TestDatabase.quietLogger)
        }
        let store = SQLStore(database: raw, logger: TestDatabase.quietLogger, now: { database.clock.now() })
        let pending = try await store.migrationStatus()
        #expect(pending.count == Migrations.all.count)
        #expect(pending.allSatisfy { !$0.isApplied })
        #expect(try await store.migrate() == Migrations.all.map(\.name))
        #expect(try await store.migrationStatus().allSatisfy(\.isApplied))
        await store.close()
        try await database.destroy()
    }

    @Test("database URLs: sqlite absolute and relative, postgres; anything else is refused clearly")
    func databaseURLs() throws {
        #expect(try StoreURL.parse("sqlite:///var/lib/workflow/workflow.db") == .sqlite(path: "/var/lib/workflow/workflow.db"))
        #expect(try StoreURL.parse("sqlite:var/workflow.db") == .sqlite(path: "var/workflow.db"))
        #expect(try StoreURL.parse("postgres://u:p@db:5432/wf") == .postgres(url: "postgres://u:p@db:5432/wf"))
        #expect(try StoreURL.parse("postgresql://db/wf") == .postgres(url: "postgresql://db/wf"))
        #expect(throws: StoreError.unsupportedURL(
            "sqlite://relative.db", reason: "an SQLite URL with slashes needs an absolute path: sqlite:///path/to/file.db")
        ) { try StoreURL.parse("sqlite://relative.db") }
        #expect(throws: StoreError.unsupportedURL("sqlite:", reason: "the SQLite URL names no file: sqlite:path/to/file.db")) {
            try StoreURL.parse("sqlite:")
        }
        #expect(throws: StoreError.unsupportedURL(
            "mysql://root:***@db/wf",
            reason: "expected sqlite:///absolute/path.db, sqlite:relative/path.db or postgres://user:password@host:port/database")
        ) { try StoreURL.parse("mysql://root:secret@db/wf") }
    }

    @Test("an unreachable PostgreSQL fails at open with the operation named")
    func unreachablePostgres() async throws {
        do {
            _ = try await Store.open(url: "postgres://nobody@127.0.0.1:1/none", logger: TestDatabase.quietLogger)
            Issue.record("opening a closed port succeeded")
        } catch {
            guard case .database(let operation, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(operation == "open 127.0.0.1:1/none" || operation.hasPrefix("open postgres://nobody@127.0.0.1:1/none"))
        }
    }

    @Test("the SQLite file gets WAL, a busy timeout, foreign keys and synchronous NORMAL")
    func sqlitePragmas() async throws {
        try await withStore(.sqlite) { store, _ in
            let pragmas = try await store.database.withConnection { session in
                (
                    try await session.first("PRAGMA journal_mode")?.string("journal_mode"),
                    try await session.first("PRAGMA busy_timeout")?.int("timeout"),
                    try await session.first("PRAGMA foreign_keys")?.int("foreign_keys"),
                    try await session.first("PRAGMA synchronous")?.int("synchronous")
                )
            }
            #expect(pragmas.0 == "wal")
            #expect(pragmas.1 == 5000)
            #expect(pragmas.2 == 1)
            #expect(pragmas.3 == 1)
        }
    }
}
