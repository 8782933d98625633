import Synchronization

/// Keeps lines in memory; for tests and for showing recent lines.
public final class MemoryLogSink: LogSink {
    private let stored = Mutex<[LogLine]>([])

    public init() {}

    public func write(_ lines: [LogLine]) {
        stored.withLock { $0.append(contentsOf: lines) }
    }

    /// Every line written so far, oldest first.
    public var lines: [LogLine] { stored.withLock { $0 } }
}
