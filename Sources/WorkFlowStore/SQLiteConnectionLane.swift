import AsyncKit
import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import Synchronization

/// One SQLite connection, lent to one user at a time in arrival order.
///
/// The store keeps one lane for writing — SQLite allows a single writer, and queueing writers
/// here, without holding a thread, keeps them from starving the lock holder — and a few lanes
/// for reading. Holding connections directly (rather than in async-kit's pool) saves the pool's
/// lease round trip through the event loop on every statement, which is most of a step record's
/// cost, and needs no unchecked `Sendable`: `SQLiteConnection` is `Sendable`. A connection that
/// had to be discarded (a failed rollback) is reopened lazily.
final class SQLiteConnectionLane: Sendable {
    private struct State {
        var connection: SQLiteConnection?
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let source: SQLiteFileSource
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let state = Mutex(State())

    init(source: SQLiteFileSource, logger: Logger, on eventLoop: any EventLoop) {
        self.source = source
        self.logger = logger
        self.eventLoop = eventLoop
    }

    /// Runs `body` with the connection once every earlier user is done.
    func withConnection<R>(_ body: (StoreSession) async throws -> R) async throws -> R {
        await acquire()
        defer { release() }
        let connection = try await openConnection()
        let session = StoreSession(connection, discard: { [weak self] in await self?.discard(connection) })
        return try await body(session)
    }

    /// Closes the connection; later users fail.
    func close() async {
        let connection = state.withLock { state -> SQLiteConnection? in
            state.closed = true
            defer { state.connection = nil }
            return state.connection
        }
        try? await connection?.close()
    }

    private func openConnection() async throws -> SQLiteConnection {
        let (existing, closed) = state.withLock { ($0.connection, $0.closed) }
        // The same error a closed pool gives, so callers see one "the store is closed".
        if closed { throw ConnectionPoolError.shutdown }
        if let existing { return existing }
        let connection = try await source.makeConnection(logger: logger, on: eventLoop).get()
        state.withLock { $0.connection = connection }
        return connection
    }

    private func discard(_ connection: SQLiteConnection) async {
        state.withLock { state in
            if state.connection === connection { state.connection = nil }
        }
        try? await connection.close()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            // The lock passes straight to the next writer; `busy` stays true.
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
