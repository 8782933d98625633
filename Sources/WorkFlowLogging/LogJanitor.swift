import Foundation
import Logging
import WorkFlowEngine

/// Enforces the system log's retention: every `interval` it purges the lines older than
/// now − `retentionDays`. Failures are logged and retried on the next tick.
public struct LogJanitor: Sendable {
    /// Deletes the lines logged before the given time; returns how many it deleted.
    public typealias Purge = @Sendable (Date) async throws -> Int

    /// Days lines are kept; 0 or less keeps them forever and ``run()`` returns at once.
    public let retentionDays: Int
    public let interval: Duration
    private let clock: any EngineClock
    private let logger: Logger
    private let purge: Purge

    public init(
        retentionDays: Int, interval: Duration = .seconds(3600), clock: any EngineClock = SystemClock(),
        logger: Logger = Logger(label: "workflow.logging", factory: { _ in SwiftLogNoOpLogHandler() }),
        purge: @escaping Purge
    ) {
        self.retentionDays = retentionDays
        self.interval = interval
        self.clock = clock
        self.logger = logger
        self.purge = purge
    }

    /// The oldest time a line may have now.
    public var cutoff: Date {
        clock.now().addingTimeInterval(-Double(retentionDays) * 86_400)
    }

    /// Purges once; returns how many lines went.
    @discardableResult
    public func purgeOnce() async throws -> Int {
        try await purge(cutoff)
    }

    /// Purges now and then every `interval` until the task is cancelled.
    public func run() async {
        guard retentionDays > 0 else { return }
        while !Task.isCancelled {
            do {
                let deleted = try await purgeOnce()
                if deleted > 0 {
                    logger.info("old system log lines purged", metadata: ["deleted": "\(deleted)", "retention_days": "\(retentionDays)"])
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("purging old system log lines failed", metadata: ["error": "\(error)"])
            }
            do {
                try await clock.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
