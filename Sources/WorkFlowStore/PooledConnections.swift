import AsyncKit
import Logging
import NIOCore

/// One async-kit connection pool, usable from any task.
///
/// `EventLoopGroupConnectionPool` guards its own state with a lock and hands each connection to
/// one borrower at a time, but it predates `Sendable` and is not marked. This box adds nothing
/// but the ability to share it between tasks, hence `@unchecked`; the pool is only reached
/// through the two methods below.
final class PooledConnections<Source: ConnectionPoolSource>: @unchecked Sendable where Source.Connection: Sendable {
    private let pool: EventLoopGroupConnectionPool<Source>
    private let logger: Logger

    init(source: Source, maxConnectionsPerEventLoop: Int, logger: Logger, on group: any EventLoopGroup) {
        self.logger = logger
        self.pool = EventLoopGroupConnectionPool(
            source: source, maxConnectionsPerEventLoop: maxConnectionsPerEventLoop, requestTimeout: .seconds(30),
            logger: logger, on: group)
    }

    /// Lends one connection for the duration of `body` and takes it back afterwards, whatever happens.
    func withConnection<R>(_ body: (Source.Connection) async throws -> R) async throws -> R {
        let connection = try await pool.requestConnection(logger: logger).get()
        defer { pool.releaseConnection(connection, logger: logger) }
        return try await body(connection)
    }

    /// Closes every connection; later requests fail.
    func shutdown() async throws {
        try await pool.shutdownAsync()
    }
}
