import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization

/// Numbers PostgreSQL connections for PostgresNIO's log lines.
private let connectionIDs = Atomic<Int>(0)

/// The SQL dialects the store speaks.
public enum StoreDialect: String, Sendable, Hashable {
    case sqlite, postgres
}

/// The connections to one SQLite file or PostgreSQL database, with transactions.
///
/// Connections live in ``ConnectionPool``s. PostgreSQL has one pool for reads and writes. SQLite
/// allows one writer at a time, and its busy handler waits on one of SQLiteNIO's few thread-pool
/// threads: several local writers waiting for the lock can starve the one that holds it until the
/// busy timeout fails them all. So on SQLite every write goes through one writer connection (a
/// pool of one), where writers queue without holding a thread, and reads share a few reading
/// connections (WAL lets them run beside the writer). `busy_timeout` still covers writers in
/// other processes.
public final class StoreDatabase: Sendable {
    /// SQLite or PostgreSQL.
    public let dialect: StoreDialect
    /// Where the data lives, without credentials: the SQLite path or the URL without its password.
    public let location: String
    let logger: Logger
    private let pool: Pool

    private enum Pool: Sendable {
        case sqlite(writer: ConnectionPool<SQLiteConnection>, readers: ConnectionPool<SQLiteConnection>)
        case postgres(ConnectionPool<PostgresConnection>)
    }

    private init(dialect: StoreDialect, location: String, logger: Logger, pool: Pool) {
        self.dialect = dialect
        self.location = location
        self.logger = logger
        self.pool = pool
    }

    /// Opens (and creates, with its parent folders) the SQLite database at `path`.
    ///
    /// Every connection runs with `journal_mode=WAL`, `busy_timeout=5000`, `foreign_keys=ON` and
    /// `synchronous=NORMAL`.
    public static func sqlite(
        path: String, readerCount: Int = 4, logger: Logger = Logger(label: "workflow.store")
    ) async throws(StoreError) -> StoreDatabase {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw StoreError.unsupportedURL(
                path, reason: "cannot create the folder \(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        let source = SQLiteFileSource(path: url.path)
        let driver = ConnectionPool<SQLiteConnection>.Driver(
            open: { try await source.open(logger: logger, on: MultiThreadedEventLoopGroup.singleton.next()) },
            isClosed: { $0.isClosed },
            close: { try? await $0.close() })
        let writer = ConnectionPool(capacity: 1, driver: driver)
        let readers = ConnectionPool(capacity: max(1, readerCount), driver: driver)
        let database = StoreDatabase(
            dialect: .sqlite, location: url.path, logger: logger, pool: .sqlite(writer: writer, readers: readers))
        try await database.checkReachable()
        return database
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/database`).
    public static func postgres(
        url: String, maxConnections: Int = 8, logger: Logger = Logger(label: "workflow.store")
    ) async throws(StoreError) -> StoreDatabase {
        let configuration: SQLPostgresConfiguration
        do {
            configuration = try SQLPostgresConfiguration(url: url)
        } catch {
            throw StoreError.unsupportedURL(
                StoreURL.redacted(url), reason: "not a PostgreSQL URL of the form postgres://user:password@host:port/database")
        }
        let core = configuration.coreConfiguration
        let pool = ConnectionPool<PostgresConnection>(
            capacity: max(1, maxConnections),
            driver: .init(
                open: {
                    try await PostgresConnection.connect(
                        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: core,
                        id: connectionIDs.add(1, ordering: .relaxed).newValue, logger: logger)
                },
                isClosed: { $0.isClosed },
                close: { try? await $0.close() }))
        let database = StoreDatabase(
            dialect: .postgres, location: StoreURL.redacted(url), logger: logger, pool: .postgres(pool))
        try await database.checkReachable()
        return database
    }

    /// Fails early, with the reason, when the database cannot be reached (or, for SQLite, created).
    private func checkReachable() async throws(StoreError) {
        do {
            try await withWriter { session in try await session.run("SELECT 1") }
        } catch {
            await close()
            throw StoreError.database(operation: "open \(location)", message: error.message)
        }
    }

    /// Runs `body` on one pooled connection for reading, outside a transaction. Writes go
    /// through ``withWriter(_:)`` or ``withSession(_:)``.
    package func withConnection<R>(_ body: (StoreSession) async throws -> R) async throws -> R {
        switch pool {
        case .sqlite(_, let readers):
            try await readers.withConnection { connection, discard in
                try await body(StoreSession(connection, discard: discard))
            }
        case .postgres(let pool):
            try await pool.withConnection { connection, discard in
                try await body(StoreSession(connection, discard: discard))
            }
        }
    }

    /// Runs `body` on the connection that writes, outside a transaction: for single statements,
    /// each of which commits by itself.
    package func withWriter<R>(_ body: (StoreSession) async throws -> R) async throws -> R {
        switch pool {
        case .sqlite(let writer, _):
            try await writer.withConnection { connection, discard in
                try await body(StoreSession(connection, discard: discard))
            }
        case .postgres(let pool):
            try await pool.withConnection { connection, discard in
                try await body(StoreSession(connection, discard: discard))
            }
        }
    }

    /// Runs `body` in one transaction on the connection that writes: committed when it returns,
    /// rolled back when it throws.
    ///
    /// SQLite transactions begin `IMMEDIATE`, taking the write lock at once: a deferred transaction
    /// that reads and then writes can fail with "database is locked" without waiting out the busy
    /// timeout when another process writes in between.
    package func withSession<R>(_ body: (StoreSession) async throws -> R) async throws -> R {
        try await withWriter { session in
            try await session.run(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN")
            let result: R
            do {
                result = try await body(session)
                try await session.run("COMMIT")
            } catch {
                await rollBack(session)
                throw error
            }
            return result
        }
    }

    /// Ends a failed transaction. A connection that cannot roll back may still be inside the
    /// transaction, so it is closed rather than lent to the next caller.
    private func rollBack(_ session: StoreSession) async {
        do {
            // In a task of its own: a transaction that failed because its task was cancelled
            // must still be rolled back, and the drivers refuse work on a cancelled task.
            try await Task { try await session.run("ROLLBACK") }.value
        } catch {
            logger.error("rollback failed; closing the connection", metadata: ["error": "\(error.message)"])
            await session.discard()
        }
    }

    /// Closes every connection. Later calls fail with ``StoreError/database(operation:message:)``.
    public func close() async {
        switch pool {
        case .sqlite(let writer, let readers):
            await writer.close()
            await readers.close()
        case .postgres(let pool):
            await pool.close()
        }
    }
}

/// One connection lent by ``StoreDatabase``, with the dialect its SQL must be written for.
package struct StoreSession: Sendable {
    package let sql: any SQLDatabase
    package let dialect: StoreDialect
    /// Closes the connection; the pool then replaces it.
    let discard: @Sendable () async -> Void

    init(_ connection: SQLiteConnection, discard: @escaping @Sendable () async -> Void) {
        sql = connection.sql()
        dialect = .sqlite
        self.discard = discard
    }

    init(_ connection: PostgresConnection, discard: @escaping @Sendable () async -> Void) {
        sql = connection.sql()
        dialect = .postgres
        self.discard = discard
    }

    /// Runs a statement that returns no rows.
    package func run(_ query: SQLQueryString) async throws {
        try await sql.raw(query).run()
    }

    /// Runs a query and returns every row.
    package func all(_ query: SQLQueryString) async throws -> [any SQLRow] {
        try await sql.raw(query).all()
    }

    /// Runs a query and returns its first row, if any.
    package func first(_ query: SQLQueryString) async throws -> (any SQLRow)? {
        try await sql.raw(query).first()
    }
}

/// Opens SQLite files with the store's settings on every new connection.
struct SQLiteFileSource: Sendable {
    let path: String

    /// Per-connection settings. `busy_timeout` comes first so that switching to WAL waits for
    /// other connections instead of failing; WAL itself is stored in the file.
    static let pragmas = [
        "PRAGMA busy_timeout = 5000",
        "PRAGMA journal_mode = WAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA synchronous = NORMAL",
    ]

    func open(logger: Logger, on eventLoop: any EventLoop) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger, on: eventLoop
        ).get()
        do {
            for pragma in Self.pragmas { _ = try await connection.query(pragma).get() }
        } catch {
            try? await connection.close()
            throw error
        }
        return connection
    }
}

extension Error {
    /// The error's text as the store reports it.
    var message: String { DatabaseErrorText.describe(self) }
}
