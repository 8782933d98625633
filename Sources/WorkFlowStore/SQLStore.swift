import Foundation
import Logging

/// The store on SQL: workflows and their versions, runs and their steps, the system log and
/// settings, on SQLite or PostgreSQL. Each aggregate's SQL lives in its own `SQLStore+...` file.
public struct SQLStore: Sendable {
    /// The database and its connection pool.
    public let database: StoreDatabase
    let logger: Logger
    /// The store's clock: every time it writes on its own (creation, update, deletion) comes from here.
    let now: @Sendable () -> Date
    /// Group commits for the busiest writes of a run's life: queueing and finishing.
    let runWrites = RunWriteGroups()

    /// Wraps an open database without touching its schema; see ``open(database:logger:now:)``.
    public init(database: StoreDatabase, logger: Logger = Logger(label: "workflow.store"), now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.logger = logger
        self.now = now
    }

    /// Wraps an open database and applies pending migrations.
    public static func open(
        database: StoreDatabase, logger: Logger = Logger(label: "workflow.store"), now: @escaping @Sendable () -> Date = { Date() }
    ) async throws(StoreError) -> SQLStore {
        let store = SQLStore(database: database, logger: logger, now: now)
        do {
            try await store.migrate()
        } catch {
            await database.close()
            throw error
        }
        return store
    }

    /// SQLite or PostgreSQL.
    public var dialect: StoreDialect { database.dialect }

    /// Closes the database's connections.
    public func close() async {
        await database.close()
    }

    /// The clock's time, as stored (milliseconds).
    func nowMilliseconds() -> Int64 {
        StoreTime.milliseconds(now())
    }
}
