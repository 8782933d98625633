import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowLogging

@Suite("store sink")
struct StoreLogSinkTests {
    private func lines(_ numbers: ClosedRange<Int>, label: String = "workflow.engine") -> [LogLine] {
        numbers.map { sampleLine("line \($0)", label: label) }
    }

    @Test("full batches go to the writer as they fill; shutdown writes the rest")
    func batchesAndShutdown() async {
        let recorder = BatchRecorder()
        let sink = StoreLogSink(
            options: .init(batchSize: 2, flushInterval: .seconds(1)), clock: ManualClock(), writer: recorder.writer)
        var batches = recorder.batches.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            group.addTask { await sink.run() }
            sink.write(lines(1...5))
            #expect(await batches.next() == lines(1...2))
            #expect(await batches.next() == lines(3...4))
            await sink.shutdown()
        }
        #expect(await batches.next() == lines(5...5))
    }

    @Test("a partial batch is written when the flush interval passes")
    func flushInterval() async {
        let recorder = BatchRecorder()
        let clock = ManualClock()
        let sink = StoreLogSink(
            options: .init(batchSize: 100, flushInterval: .milliseconds(200)), clock: clock, writer: recorder.writer)
        var batches = recorder.batches.makeAsyncIterator()
        await withDiscardingTaskGroup { group in
            group.addTask { await sink.run() }
            await clock.waitForSleepers(1)
            sink.write(lines(1...2))
            clock.advance(by: .milliseconds(200))
            #expect(await batches.next() == lines(1...2))
            await sink.shutdown()
        }
    }

    @Test("flushAndWait returns once earlier lines are with the writer")
    func flushAndWait() async {
        let stored = MemoryLogSink()
        let sink = StoreLogSink(options: .init(batchSize: 100), clock: ManualClock(), writer: { stored.write($0) })
        await withDiscardingTaskGroup { group in
            group.addTask { await sink.run() }
            sink.write(lines(1...3))
            await sink.flushAndWait()
            #expect(stored.lines == lines(1...3))
            await sink.shutdown()
        }
    }

    @Test("the store's own lines are not sent back to it")
    func noFeedbackLoop() async {
        let recorder = BatchRecorder()
        let sink = StoreLogSink(clock: ManualClock(), writer: recorder.writer)
        sink.write(lines(1...1) + lines(2...2, label: "workflow.store") + lines(3...3))
        await sink.shutdown()
        #expect(await recorder.all() == [lines(1...1) + lines(3...3)])
    }

    @Test("when the buffer is full the oldest lines are dropped, counted and reported")
    func dropsOldest() async {
        let recorder = BatchRecorder()
        let clock = ManualClock()
        let reports = TextCollector()
        let sink = StoreLogSink(
            options: .init(batchSize: 100, capacity: 3), clock: clock,
            reporter: LogSinkFailureReporter(clock: clock, output: reports.output), writer: recorder.writer)
        sink.write(lines(1...5))
        #expect(sink.droppedCount == 2)
        #expect(reports.lines.count == 1)
        #expect(reports.lines.first?.hasPrefix("workflow: log sink 'store' is failing: the buffer of 3 lines is full") == true)
        clock.advance(by: .seconds(60))
        sink.write(lines(6...6))
        #expect(sink.droppedCount == 3)
        #expect(reports.lines.count == 2)
        #expect(reports.lines.last?.hasSuffix("(2 line(s) lost since the last report)\n") == true)
        await sink.shutdown()
        #expect(await recorder.all() == [lines(4...6)])
    }

    @Test("a failing writer never reaches the caller, loses its batch and is reported once")
    func failingWriter() async {
        let reports = TextCollector()
        let clock = ManualClock()
        let sink = StoreLogSink(
            options: .init(batchSize: 100), clock: clock, reporter: LogSinkFailureReporter(clock: clock, output: reports.output),
            writer: { _ in throw FailingSink.Broken() })
        let setup = LoggingSetup(sinks: [LogSinkRoute(sink, name: "store")])
        let logger = setup.logger(label: "workflow.engine")
        await withDiscardingTaskGroup { group in
            group.addTask { await sink.run() }
            for n in 1...3 { logger.info("line \(n)") }
            await sink.flushAndWait()
            logger.info("line 4")
            await sink.flushAndWait()
            await sink.shutdown()
        }
        #expect(sink.failedCount == 4)
        #expect(reports.lines == ["workflow: log sink 'store' is failing: disk on fire (3 line(s) lost since the last report)\n"])
    }

    @Test("cancelling run still hands the buffered lines to the writer")
    func cancellationDrains() async {
        let stored = MemoryLogSink()
        let reports = TextCollector()
        let sink = StoreLogSink(
            options: .init(batchSize: 100), clock: ManualClock(), reporter: LogSinkFailureReporter(output: reports.output),
            writer: { stored.write($0) })
        sink.write(lines(1...3))
        await withDiscardingTaskGroup { group in
            group.addTask { await sink.run() }
            group.cancelAll()
        }
        #expect(stored.lines == lines(1...3))
        sink.write(lines(4...4))
        #expect(sink.failedCount == 1)
        #expect(reports.lines == ["workflow: log sink 'store' is failing: logged after shutdown (1 line(s) lost since the last report)\n"])
    }
}
