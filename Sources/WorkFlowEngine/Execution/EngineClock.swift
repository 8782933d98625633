import Foundation

/// The engine's source of time: wall-clock instants for records, and waiting for retry delays
/// and timeouts. Injected so tests control time instead of sleeping.
public protocol EngineClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
    /// Suspends for `duration`; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// Real time: `Date()` and `ContinuousClock`.
public struct SystemClock: EngineClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(for duration: Duration) async throws {
        try await ContinuousClock().sleep(for: duration)
    }
}

extension Duration {
    /// A duration from a number of seconds that may have a fraction, clamped to between zero and
    /// about 292 years (`Int64.max` nanoseconds).
    public static func seconds(fraction seconds: Double) -> Duration {
        // Timeouts come from documents and exponential backoff grows without bound: converting
        // a value past Int64.max would trap, and no wait that long ever ends anyway.
        let nanoseconds = (seconds * 1_000_000_000).rounded()
        guard nanoseconds > 0 else { return .zero }
        guard nanoseconds < 9.2e18 else { return .nanoseconds(Int64.max) }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// Whole milliseconds, for records.
    public var wholeMilliseconds: Int {
        let (s, attos) = components
        return Int(s) * 1000 + Int(attos / 1_000_000_000_000_000)
    }
}
