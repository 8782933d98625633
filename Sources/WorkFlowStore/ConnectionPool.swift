import Synchronization

/// A few connections to one database, each lent to one user at a time, users served in arrival
/// order.
///
/// The store holds its connections here rather than in async-kit's pool: a lease from async-kit
/// goes through an event loop on every statement, which was most of the cost of recording a
/// step, and that pool predates `Sendable`, so sharing it between tasks needed an unchecked box.
/// This pool is a mutex around plain state: connections are opened on demand up to `capacity`,
/// kept while healthy, handed from one user straight to the next waiting one, and a connection
/// that reports itself closed (or that a user discards) is replaced by a new one on next use.
///
/// SQLite uses a pool of one for its single writer and a small pool for readers; PostgreSQL uses
/// one pool for everything.
final class ConnectionPool<Connection: Sendable>: Sendable {
    /// How the pool opens, checks and closes its connections.
    struct Driver: Sendable {
        var open: @Sendable () async throws -> Connection
        var isClosed: @Sendable (Connection) -> Bool
        var close: @Sendable (Connection) async -> Void
    }

    /// What a waiting user is handed: a free connection, or the right to open one.
    private enum Grant: Sendable {
        case connection(Connection)
        case openNew
    }

    /// Where a returned connection goes.
    private enum Release {
        case handTo(CheckedContinuation<Grant, any Error>)
        case kept
        case close
    }

    private struct State {
        var idle: [Connection] = []
        /// Connections open or being opened, idle or lent.
        var count = 0
        var waiters: [CheckedContinuation<Grant, any Error>] = []
        var closed = false
    }

    let capacity: Int
    private let driver: Driver
    private let state = Mutex(State())

    init(capacity: Int, driver: Driver) {
        precondition(capacity > 0, "a connection pool needs room for one connection")
        self.capacity = capacity
        self.driver = driver
    }

    /// Lends one connection for the duration of `body`. `discard` closes it for good — for a
    /// connection left in an unknown state (a failed rollback); the pool opens a new one later.
    func withConnection<R>(
        _ body: (_ connection: Connection, _ discard: @escaping @Sendable () async -> Void) async throws -> R
    ) async throws -> R {
        let connection = try await acquire()
        let discarded = Mutex(false)
        let discard: @Sendable () async -> Void = { [driver] in
            discarded.withLock { $0 = true }
            await Self.close(connection, with: driver)
        }
        do {
            let result = try await body(connection, discard)
            await release(connection, discarded: discarded.withLock { $0 })
            return result
        } catch {
            await release(connection, discarded: discarded.withLock { $0 })
            throw error
        }
    }

    /// Closes every idle connection and fails every waiting user; connections still lent are
    /// closed as they come back. Later requests fail with ``StoreClosedError``.
    func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.count -= state.idle.count
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.resume(throwing: StoreClosedError()) }
        for connection in idle { await Self.close(connection, with: driver) }
    }

    private func acquire() async throws -> Connection {
        while true {
            let grant = try await nextGrant()
            switch grant {
            case .connection(let connection):
                if !driver.isClosed(connection) { return connection }
                // Closed while idle (the server went away, say): forget it and try again.
                forgetConnection()
            case .openNew:
                do {
                    return try await driver.open()
                } catch {
                    forgetConnection()
                    throw error
                }
            }
        }
    }

    private func nextGrant() async throws -> Grant {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
            let immediate = state.withLock { state -> Result<Grant, any Error>? in
                if state.closed { return .failure(StoreClosedError()) }
                if let connection = state.idle.popLast() { return .success(.connection(connection)) }
                if state.count < capacity {
                    state.count += 1
                    return .success(.openNew)
                }
                state.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    /// Takes a connection back: to the next waiting user, else to the idle list.
    private func release(_ connection: Connection, discarded: Bool) async {
        if discarded || driver.isClosed(connection) {
            forgetConnection()
            return
        }
        let next = state.withLock { state -> Release in
            if state.closed {
                state.count -= 1
                return .close
            }
            if !state.waiters.isEmpty { return .handTo(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .kept
        }
        switch next {
        case .handTo(let waiter): waiter.resume(returning: .connection(connection))
        case .kept: break
        case .close: await Self.close(connection, with: driver)
        }
    }

    /// Closes a connection even when the calling task is cancelled: the drivers refuse work on a
    /// cancelled task, and a connection dropped without closing is a leaked file or socket.
    private static func close(_ connection: Connection, with driver: Driver) async {
        await Task { await driver.close(connection) }.value
    }

    /// A connection is gone: its place goes to the next waiting user, who opens a new one.
    private func forgetConnection() {
        let waiter = state.withLock { state -> CheckedContinuation<Grant, any Error>? in
            guard !state.closed, !state.waiters.isEmpty else {
                state.count -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: .openNew)
    }
}

/// The store was closed: its connections are gone.
struct StoreClosedError: Error, CustomStringConvertible {
    var description: String { "the store is closed" }
}
