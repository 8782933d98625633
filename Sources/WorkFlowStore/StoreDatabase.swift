import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization

/// The SQL dialects the store speaks.
public enum StoreDialect: String, Sendable, Hashable {
    case sqlite, postgres
}

/// A pool of connections to one SQLite file or PostgreSQL database, with transactions.
///
/// PostgreSQL uses async-kit's `EventLoopGroupConnectionPool` with SQLKit on top. PostgresNIO's
/// newer `PostgresClient` would need a long-running `run()` task owned by a service group; the
/// pool does not, and `close()` shuts it down cleanly.
///
/// SQLite allows one writer at a time, and its busy handler waits on one of SQLiteNIO's few
/// thread-pool threads: several local writers waiting for the lock can starve the one that holds
/// it until the busy timeout fails them all. So on SQLite every write goes through one writer
/// connection (a ``SQLiteConnectionLane``), where writers queue without holding a thread, and
/// reads take turns on a few reading connections (WAL lets them run beside the writer).
/// `busy_timeout` still covers writers in other processes.
public final class StoreDatabase: Sendable {
    /// SQLite or PostgreSQL.
    public let dialect: StoreDialect
    /// Where the data lives, without credentials: the SQLite path or the URL without its password.
    public let location: String
    let logger: Logger
    private let pool: Pool

    private enum Pool: Sendable {
        case sqlite(writer: SQLiteConnectionLane, readers: SQLiteReaders)
        case postgres(PooledConnections<PostgresConnectionSource>)
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
        let group = MultiThreadedEventLoopGroup.singleton
        let writer = SQLiteConnectionLane(source: source, logger: logger, on: group.next())
        let readers = SQLiteReaders(
            lanes: (0..<max(1, readerCount)).map { _ in SQLiteConnectionLane(source: source, logger: logger, on: group.next()) })
        let database = StoreDatabase(
            dialect: .sqlite, location: url.path, logger: logger, pool: .sqlite(writer: writer, readers: readers))
        try await database.checkReachable()
        return database
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/database`).
    public static func postgres(
        url: String, maxConnectionsPerEventLoop: Int = 2, logger: Logger = Logger(label: "workflow.store")
    ) async throws(StoreError) -> StoreDatabase {
        let configuration: SQLPostgresConfiguration
        do {
            configuration = try SQLPostgresConfiguration(url: url)
        } catch {
            throw StoreError.unsupportedURL(
                StoreURL.redacted(url), reason: "not a PostgreSQL URL of the form postgres://user:password@host:port/database")
        }
        let pool = PooledConnections(
            source: PostgresConnectionSource(sqlConfiguration: configuration),
            maxConnectionsPerEventLoop: maxConnectionsPerEventLoop, logger: logger, on: MultiThreadedEventLoopGroup.singleton)
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
            try await readers.next().withConnection(body)
        case .postgres(let pool):
            try await pool.withConnection { connection in
                try await body(StoreSession(connection))
            }
        }
    }

    /// Runs `body` on the connection that writes, outside a transaction: for single statements,
    /// each of which commits by itself.
    package func withWriter<R>(_ body: (StoreSession) async throws -> R) async throws -> R {
        switch pool {
        case .sqlite(let writer, _):
            try await writer.withConnection(body)
        case .postgres(let pool):
            try await pool.withConnection { connection in
                try await body(StoreSession(connection))
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
            try await session.run("ROLLBACK")
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
            for lane in readers.lanes { await lane.close() }
        case .postgres(let pool):
            await shutDown(pool)
        }
    }

    private func shutDown<Source>(_ pool: PooledConnections<Source>) async {
        do {
            try await pool.shutdown()
        } catch {
            // Closing twice lands here; harmless, but worth a debug line.
            logger.debug("closing the store's connection pool", metadata: ["error": "\(error.message)"])
        }
    }
}

/// SQLite's reading connections, used in turn.
final class SQLiteReaders: Sendable {
    let lanes: [SQLiteConnectionLane]
    private let counter = Mutex(0)

    init(lanes: [SQLiteConnectionLane]) {
        self.lanes = lanes
    }

    /// The next lane, round robin.
    func next() -> SQLiteConnectionLane {
        let i = counter.withLock { count in
            defer { count &+= 1 }
            return count
        }
        return lanes[abs(i % lanes.count)]
    }
}

/// One connection lent by ``StoreDatabase``, with the dialect its SQL must be written for.
package struct StoreSession: Sendable {
    package let sql: any SQLDatabase
    package let dialect: StoreDialect
    /// Closes the connection; the pool then replaces it.
    let discard: @Sendable () async -> Void

    init(_ connection: SQLiteConnection) {
        self.init(connection, discard: { try? await connection.close() })
    }

    init(_ connection: SQLiteConnection, discard: @escaping @Sendable () async -> Void) {
        sql = connection.sql()
        dialect = .sqlite
        self.discard = discard
    }

    init(_ connection: PostgresConnection) {
        sql = connection.sql()
        dialect = .postgres
        discard = { try? await connection.close() }
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
struct SQLiteFileSource: ConnectionPoolSource, Sendable {
    let path: String

    /// Per-connection settings. `busy_timeout` comes first so that switching to WAL waits for
    /// other connections instead of failing; WAL itself is stored in the file.
    static let pragmas = [
        "PRAGMA busy_timeout = 5000",
        "PRAGMA journal_mode = WAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA synchronous = NORMAL",
    ]

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton, logger: logger, on: eventLoop)
            .flatMap { connection in
                var ready = eventLoop.makeSucceededVoidFuture()
                for pragma in Self.pragmas {
                    ready = ready.flatMap { connection.query(pragma).map { _ in } }
                }
                return ready.map { connection }.flatMapError { error in
                    connection.close().flatMapThrowing { throw error }
                }
            }
    }
}

extension Error {
    /// The error's text as the store reports it.
    var message: String { DatabaseErrorText.describe(self) }
}
