import Foundation
import Logging
import ServiceLifecycle
import WorkFlowEngine
import WorkFlowLogging
import WorkFlowStore

/// Every `interval`: removes system log lines older than the retention setting in force (read
/// afresh each time, so a changed setting applies without a restart) and expired sessions.
struct JanitorService: Service {
    let store: SQLStore
    let defaults: EffectiveSettings
    let interval: Duration
    let clock: any EngineClock
    let logger: Logger

    func run() async throws {
        // Stops on graceful shutdown as on cancellation; either ends the sleep, and the service
        // then returns normally (an error would make the group fail its other services).
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try await clock.sleep(for: interval)
            }
        }
    }

    /// One round of clean-up.
    func sweep() async {
        let retention = defaults.applying((try? await store.settings()) ?? [:]).logRetentionDays
        let janitor = LogJanitor(
            retentionDays: retention, clock: clock, logger: logger, purge: { [store] cutoff in try await store.purgeLogs(olderThan: cutoff) })
        do {
            let deleted = try await janitor.purgeOnce()
            if deleted > 0 { logger.info("old system log lines purged", metadata: ["deleted": "\(deleted)", "retention_days": "\(retention)"]) }
            let sessions = try await store.purgeExpiredSessions(now: clock.now())
            if sessions > 0 { logger.info("expired sessions removed", metadata: ["sessions": "\(sessions)"]) }
        } catch {
            logger.error("clean-up failed; trying again later", metadata: ["error": "\(error)"])
        }
    }
}
