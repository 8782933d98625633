import Foundation

/// What one scheduler tick did.
public struct SchedulerTick: Sendable, Hashable {
    /// A run a schedule started.
    public struct Started: Sendable, Hashable {
        public var flowName: String
        public var scheduleName: String
        public var runID: Int64
    }

    /// A run a schedule asked for that could not start (the workflow became invalid, say).
    public struct Failed: Sendable, Hashable {
        public var flowName: String
        public var scheduleName: String
        public var error: String
    }

    /// `false` when another process's scheduler held the lock, so this one did nothing.
    public var acted: Bool
    public var started: [Started] = []
    public var failed: [Failed] = []
    /// When to tick again: the earliest next fire time, sooner while a `queue` backlog waits or
    /// after a failure; `nil` when no schedule will ever fire (the loop still looks every minute).
    public var nextWakeUp: Date?

    /// Moves ``nextWakeUp`` to `date` when that is earlier.
    mutating func wake(at date: Date?) {
        guard let date else { return }
        nextWakeUp = min(nextWakeUp ?? date, date)
    }
}
