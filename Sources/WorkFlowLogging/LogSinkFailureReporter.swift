import Foundation
import Synchronization
import WorkFlowEngine

/// Tells the operator that a sink is losing lines, on standard error, at most once per
/// interval per sink, with how many lines were lost since the previous report.
///
/// The report does not go through swift-log: a broken sink reporting through the same
/// handler could fail again, or loop.
public final class LogSinkFailureReporter: Sendable {
    /// The default quiet time between two reports of the same sink.
    public static let defaultInterval: Duration = .seconds(60)

    private struct SinkState {
        var lastReport: Date?
        var unreported = 0
        var lastReason = ""
    }

    private let clock: any EngineClock
    private let interval: TimeInterval
    private let output: @Sendable (String) -> Void
    private let state = Mutex<[String: SinkState]>([:])

    /// - Parameters:
    ///   - clock: decides when the quiet time is over.
    ///   - interval: the quiet time between two reports of one sink.
    ///   - output: receives each report line (with its newline); standard error by default.
    public init(
        clock: any EngineClock = SystemClock(), interval: Duration = LogSinkFailureReporter.defaultInterval,
        output: @escaping @Sendable (String) -> Void = StandardError.write
    ) {
        self.clock = clock
        let (seconds, attoseconds) = interval.components
        self.interval = Double(seconds) + Double(attoseconds) / 1e18
        self.output = output
    }

    /// Records that `sink` lost `count` lines because of `reason`, and reports if the sink's
    /// quiet time is over.
    public func lost(_ count: Int, sink: String, reason: String) {
        let now = clock.now()
        let report = state.withLock { sinks -> String? in
            var s = sinks[sink, default: SinkState()]
            defer { sinks[sink] = s }
            s.unreported += count
            s.lastReason = reason
            if let last = s.lastReport, now.timeIntervalSince(last) < interval { return nil }
            s.lastReport = now
            defer { s.unreported = 0 }
            return Self.describe(sink: sink, reason: reason, lost: s.unreported)
        }
        if let report { output(report) }
    }

    /// Reports lines lost during a quiet time that no later report covered; for shutdown.
    public func reportPending() {
        let now = clock.now()
        let reports = state.withLock { sinks -> [String] in
            var out: [String] = []
            for (name, s) in sinks.sorted(by: { $0.key < $1.key }) where s.unreported > 0 {
                out.append(Self.describe(sink: name, reason: s.lastReason, lost: s.unreported))
                sinks[name]?.unreported = 0
                sinks[name]?.lastReport = now
            }
            return out
        }
        for report in reports { output(report) }
    }

    private static func describe(sink: String, reason: String, lost: Int) -> String {
        "workflow: log sink '\(sink)' is failing: \(reason) (\(lost) line(s) lost since the last report)\n"
    }
}
