import Foundation
import Synchronization
import WorkFlowEngine

/// Sends lines to the system log table in batches, from a background consumer, so that a
/// slow or broken database never slows down or breaks the code that logs.
///
/// `write` only enqueues into a bounded `AsyncStream`; when it is full the oldest line is
/// dropped and counted. ``run()`` consumes the stream and hands batches to the writer every
/// `batchSize` lines, every `flushInterval`, on ``flushAndWait()`` and on ``shutdown()``.
/// Lines logged by the store itself (`workflow.store`) are not sent back to it: a failing
/// insert that logs its failure would otherwise feed itself.
public final class StoreLogSink: LogSink {
    /// Receives each batch; the CLI passes the store's `appendLogs`.
    public typealias Writer = @Sendable ([LogLine]) async throws -> Void

    /// How the sink batches and buffers.
    public struct Options: Sendable {
        /// Lines per batch; a full batch is written at once.
        public var batchSize: Int
        /// A partial batch waits at most this long.
        public var flushInterval: Duration
        /// Lines the buffer holds before the oldest are dropped.
        public var capacity: Int
        /// Labels whose lines never reach the store.
        public var excludedLabels: Set<String>

        public init(
            batchSize: Int = 100, flushInterval: Duration = .milliseconds(500), capacity: Int = 10_000,
            excludedLabels: Set<String> = ["workflow.store"]
        ) {
            self.batchSize = max(1, batchSize)
            self.flushInterval = flushInterval
            self.capacity = max(1, capacity)
            self.excludedLabels = excludedLabels
        }
    }

    private enum Event: Sendable {
        case line(LogLine)
        /// The flush interval passed, or someone asked for a flush: write the partial batch.
        case flush
    }

    private enum Consumer {
        case idle, running, finished
    }

    private struct State {
        /// Lines accepted into the stream so far.
        var accepted = 0
        /// Lines that left it for good: written, failed or dropped. Lines leave in order.
        var settled = 0
        var dropped = 0
        var failed = 0
        var consumer = Consumer.idle
        var flushWaiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let options: Options
    /// The name failures are reported under.
    public let name: String
    private let clock: any EngineClock
    private let reporter: LogSinkFailureReporter
    private let writer: Writer
    private let stream: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let state = Mutex(State())

    public init(
        options: Options = Options(), name: String = "store", clock: any EngineClock = SystemClock(),
        reporter: LogSinkFailureReporter = LogSinkFailureReporter(), writer: @escaping Writer
    ) {
        self.options = options
        self.name = name
        self.clock = clock
        self.reporter = reporter
        self.writer = writer
        (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(options.capacity))
    }

    /// Lines dropped because the buffer was full.
    public var droppedCount: Int { state.withLock { $0.dropped } }
    /// Lines the writer failed to store.
    public var failedCount: Int { state.withLock { $0.failed } }

    /// Enqueues the lines; never waits and never throws.
    public func write(_ lines: [LogLine]) {
        for line in lines where !options.excludedLabels.contains(line.label) {
            state.withLock { $0.accepted += 1 }
            enqueue(.line(line))
        }
    }

    /// Asks the consumer to write its partial batch, without waiting.
    public func flush() {
        enqueue(.flush)
    }

    /// Returns once every line written before the call has been handed to the writer (or
    /// was lost). Needs ``run()`` to be running, or to have ended.
    public func flushAndWait() async {
        let target = state.withLock { $0.accepted }
        enqueue(.flush)
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.settled >= target || s.consumer == .finished { return true }
                s.flushWaiters.append((target, waiter))
                return false
            }
            if done { waiter.resume() }
        }
    }

    /// Consumes the buffer until ``shutdown()`` or cancellation, then writes what is left and
    /// returns. Run it once, in the task group of the composition root.
    public func run() async {
        guard claimConsumer() else { return }
        // The consumer is an unstructured task on purpose: when `run()` is cancelled, the lines
        // still buffered must reach the store, so cancellation finishes the stream (the
        // consumer drains it and ends) instead of cancelling the consumer, which would
        // discard the buffer. It is always awaited below.
        let consumer = Task { await self.consume() }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.tickUntilCancelled() }
                await consumer.value
                group.cancelAll()
            }
        } onCancel: {
            continuation.finish()
        }
        finishConsumer()
    }

    /// Stops accepting lines and returns once everything accepted has been handed to the
    /// writer. Works whether or not ``run()`` was ever started.
    public func shutdown() async {
        continuation.finish()
        if claimConsumer() {
            await consume()
            finishConsumer()
            return
        }
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.consumer == .finished { return true }
                s.finishWaiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }

    private func enqueue(_ event: Event) {
        switch continuation.yield(event) {
        case .enqueued:
            break
        case .dropped(.line):
            let waiters = settle(1) { $0.dropped += 1 }
            for waiter in waiters { waiter.resume() }
            reporter.lost(
                1, sink: name, reason: "the buffer of \(options.capacity) lines is full, the oldest are dropped")
        case .dropped(.flush):
            break
        case .terminated:
            if case .line = event {
                let waiters = settle(1) { $0.failed += 1 }
                for waiter in waiters { waiter.resume() }
                reporter.lost(1, sink: name, reason: "logged after shutdown")
            }
        @unknown default:
            break
        }
    }

    private func consume() async {
        var batch: [LogLine] = []
        batch.reserveCapacity(options.batchSize)
        for await event in stream {
            switch event {
            case .line(let line):
                batch.append(line)
                if batch.count >= options.batchSize { await send(&batch) }
            case .flush:
                if !batch.isEmpty { await send(&batch) }
            }
        }
        if !batch.isEmpty { await send(&batch) }
    }

    private func tickUntilCancelled() async {
        while true {
            do {
                try await clock.sleep(for: options.flushInterval)
            } catch {
                return
            }
            enqueue(.flush)
        }
    }

    private func send(_ batch: inout [LogLine]) async {
        let lines = batch
        batch.removeAll(keepingCapacity: true)
        do {
            try await writer(lines)
            let waiters = settle(lines.count) { _ in }
            for waiter in waiters { waiter.resume() }
        } catch {
            let waiters = settle(lines.count) { $0.failed += lines.count }
            for waiter in waiters { waiter.resume() }
            reporter.lost(lines.count, sink: name, reason: "\(error)")
        }
    }

    /// Counts `count` more lines as settled and returns the flush waiters now satisfied.
    private func settle(_ count: Int, _ update: (inout State) -> Void) -> [CheckedContinuation<Void, Never>] {
        state.withLock { s in
            update(&s)
            s.settled += count
            let settled = s.settled
            let ready = s.flushWaiters.filter { $0.target <= settled }.map(\.continuation)
            s.flushWaiters.removeAll { $0.target <= settled }
            return ready
        }
    }

    private func claimConsumer() -> Bool {
        state.withLock { s in
            guard s.consumer == .idle else { return false }
            s.consumer = .running
            return true
        }
    }

    private func finishConsumer() {
        let waiters = state.withLock { s in
            s.consumer = .finished
            defer {
                s.flushWaiters = []
                s.finishWaiters = []
            }
            return s.flushWaiters.map(\.continuation) + s.finishWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
