import Foundation
import Synchronization
import Testing
import WorkFlowEngine
@testable import WorkFlowLogging

@Suite("log janitor")
struct LogJanitorTests {
    /// Cutoffs passed to the purge function, readable in order.
    final class PurgeRecorder: Sendable {
        let cutoffs: AsyncStream<Date>
        private let continuation: AsyncStream<Date>.Continuation
        private let calls = Mutex(0)
        private let failFirst: Bool

        var callCount: Int { calls.withLock { $0 } }

        init(failFirst: Bool = false) {
            (cutoffs, continuation) = AsyncStream.makeStream(of: Date.self)
            self.failFirst = failFirst
        }

        var purge: LogJanitor.Purge {
            { cutoff in
                let call = self.calls.withLock { n in
                    n += 1
                    return n
                }
                self.continuation.yield(cutoff)
                if self.failFirst && call == 1 { throw FailingSink.Broken() }
                return 5
            }
        }
    }

    @Test("purgeOnce deletes lines older than now minus the retention")
    func purgeOnce() async throws {
        let clock = ManualClock(start: sampleTime)
        let recorder = PurgeRecorder()
        let janitor = LogJanitor(retentionDays: 7, clock: clock, purge: recorder.purge)
        #expect(try await janitor.purgeOnce() == 5)
        var cutoffs = recorder.cutoffs.makeAsyncIterator()
        #expect(await cutoffs.next() == sampleTime.addingTimeInterval(-7 * 86_400))
    }

    @Test("run purges at once and on every tick with the cutoff of that moment, and stops when cancelled")
    func runTicks() async {
        let clock = ManualClock(start: sampleTime)
        let recorder = PurgeRecorder()
        let janitor = LogJanitor(retentionDays: 30, interval: .seconds(3600), clock: clock, purge: recorder.purge)
        var cutoffs = recorder.cutoffs.makeAsyncIterator()
        let month: TimeInterval = 30 * 86_400
        await withDiscardingTaskGroup { group in
            group.addTask { await janitor.run() }
            #expect(await cutoffs.next() == sampleTime.addingTimeInterval(-month))
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(3600))
            #expect(await cutoffs.next() == sampleTime.addingTimeInterval(3600 - month))
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(3600))
            #expect(await cutoffs.next() == sampleTime.addingTimeInterval(7200 - month))
            await clock.waitForSleepers(1)
            group.cancelAll()
        }
        #expect(clock.sleeperCount == 0)
    }

    @Test("a failing purge is logged and the next tick tries again")
    func failuresAreLogged() async {
        let clock = ManualClock(start: sampleTime)
        let memory = MemoryLogSink()
        let logger = LoggingSetup(sinks: [LogSinkRoute(memory, name: "memory")]).logger(label: "workflow.logging")
        let recorder = PurgeRecorder(failFirst: true)
        let janitor = LogJanitor(retentionDays: 1, interval: .seconds(60), clock: clock, logger: logger, purge: recorder.purge)
        var cutoffs = recorder.cutoffs.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            group.addTask { await janitor.run() }
            _ = await cutoffs.next()
            await clock.waitForSleepers(1)
            #expect(memory.lines.map(\.message) == ["purging old system log lines failed"])
            #expect(memory.lines.first?.metadata["error"] == "disk on fire")
            clock.advance(by: .seconds(60))
            _ = await cutoffs.next()
            await clock.waitForSleepers(1)
            #expect(memory.lines.map(\.message) == ["purging old system log lines failed", "old system log lines purged"])
            group.cancelAll()
        }
    }

    @Test("a retention of zero days keeps everything: run returns without purging")
    func zeroRetention() async {
        let recorder = PurgeRecorder()
        let janitor = LogJanitor(retentionDays: 0, clock: ManualClock(), purge: recorder.purge)
        await janitor.run()
        #expect(recorder.callCount == 0)
    }
}
