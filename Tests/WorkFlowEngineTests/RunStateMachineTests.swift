import Testing
import WorkFlowEngine

private func machine(_ dependencies: [[Int]], disabled: [Int] = [], maxParallel: Int = 8) -> RunStateMachine {
    RunStateMachine(
        dependencies: dependencies, disabled: dependencies.indices.map { disabled.contains($0) }, maxParallel: maxParallel)
}

@Suite("Run state machine")
struct RunStateMachineTests {
    @Test("seed workflows run one step after another in list order")
    func listOrder() {
        var m = machine([[], [0], [1]])
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .succeeded) == [.start(1)])
        #expect(m.stepFinished(1, .succeeded) == [.start(2)])
        #expect(m.stepFinished(2, .succeeded) == [.finish(.success)])
        #expect(m.stopStatus == nil)
    }

    @Test("steps with depends_on [] start at once")
    func independentSteps() {
        var m = machine([[], [], []])
        #expect(m.start() == [.start(0), .start(1), .start(2)])
        #expect(m.stepFinished(1, .succeeded) == [])
        #expect(m.stepFinished(2, .succeeded) == [])
        #expect(m.stepFinished(0, .succeeded) == [.finish(.success)])
    }

    @Test("fan-out starts both branches; fan-in waits for both")
    func fanOutFanIn() {
        var m = machine([[], [0], [0], [1, 2]])
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .succeeded) == [.start(1), .start(2)])
        #expect(m.stepFinished(2, .succeeded) == [])
        #expect(m.stepFinished(1, .succeeded) == [.start(3)])
        #expect(m.stepFinished(3, .succeeded) == [.finish(.success)])
    }

    @Test("no more than maxParallel steps run at once")
    func maxParallel() {
        var m = machine([[], [], [], [], []], maxParallel: 2)
        #expect(m.start() == [.start(0), .start(1)])
        #expect(m.stepFinished(1, .succeeded) == [.start(2)])
        #expect(m.stepFinished(0, .succeeded) == [.start(3)])
        #expect(m.stepFinished(3, .succeeded) == [.start(4)])
        #expect(m.stepFinished(2, .succeeded) == [])
        #expect(m.stepFinished(4, .succeeded) == [.finish(.success)])
    }

    @Test("a maxParallel below 1 still runs one step at a time")
    func maxParallelClamped() {
        var m = machine([[], []], maxParallel: 0)
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .succeeded) == [.start(1)])
    }

    @Test("ready steps start in workflow order, whichever became ready first")
    func readyInWorkflowOrder() {
        // 0 and 1 are ready at once; 2 waits for 0 and 3 for 1; one at a time.
        var m = machine([[], [], [0], [1]], maxParallel: 1)
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .succeeded) == [.start(1)])
        #expect(m.stepFinished(1, .succeeded) == [.start(2)])
        #expect(m.stepFinished(2, .succeeded) == [.start(3)])
        #expect(m.stepFinished(3, .succeeded) == [.finish(.success)])
    }

    @Test("a disabled step is skipped and the steps after it still run")
    func disabled() {
        var m = machine([[], [0], [1]], disabled: [1])
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .succeeded) == [.skip(1, .disabled), .start(2)])
        #expect(m.stepFinished(2, .succeeded) == [.finish(.success)])
    }

    @Test("disabled steps at the start, or everywhere, are skipped at once")
    func disabledAtStart() {
        var first = machine([[], [0]], disabled: [0])
        #expect(first.start() == [.skip(0, .disabled), .start(1)])
        var all = machine([[], [0]], disabled: [0, 1])
        #expect(all.start() == [.skip(0, .disabled), .skip(1, .disabled), .finish(.success)])
    }

    @Test("an empty workflow finishes at once")
    func empty() {
        var m = machine([])
        #expect(m.start() == [.finish(.success)])
    }

    @Test("a failure cancels the running steps, then skips the rest and fails the run")
    func failureStops() {
        var m = machine([[], [], [0], []], maxParallel: 2)
        #expect(m.start() == [.start(0), .start(1)])
        #expect(m.stepFinished(0, .failed(stopsRun: true)) == [.cancelRunning])
        #expect(m.stopStatus == .failed)
        #expect(m.stepFinished(1, .cancelled) == [.skip(2, .runStopped), .skip(3, .runStopped), .finish(.failed)])
        // Nothing happens after the end.
        #expect(m.stop(.cancelled) == [])
    }

    @Test("a failure with nothing else running skips the rest at once")
    func failureAlone() {
        var m = machine([[], [0], [1]])
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .failed(stopsRun: true)) == [.skip(1, .runStopped), .skip(2, .runStopped), .finish(.failed)])
    }

    @Test("a second failure while stopping does not cancel again, and a step that succeeds meanwhile starts nothing")
    func failuresWhileStopping() {
        var m = machine([[], [], [], [1]])
        #expect(m.start() == [.start(0), .start(1), .start(2)])
        #expect(m.stepFinished(0, .failed(stopsRun: true)) == [.cancelRunning])
        #expect(m.stepFinished(2, .failed(stopsRun: true)) == [])
        #expect(m.stepFinished(1, .succeeded) == [.skip(3, .runStopped), .finish(.failed)])
    }

    @Test("a failure with on_error continue lets its dependents run and the run succeed")
    func continueOnError() {
        var m = machine([[], [0], [1]])
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .failed(stopsRun: false)) == [.start(1)])
        #expect(m.stepFinished(1, .succeeded) == [.start(2)])
        #expect(m.stepFinished(2, .succeeded) == [.finish(.success)])
    }

    @Test("a step skipped by its condition lets its dependents run")
    func skippedByCondition() {
        var m = machine([[], [0]])
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(0, .skipped) == [.start(1)])
    }

    @Test("stop cancels the running steps and ends the run with the given status")
    func stopCancels() {
        var m = machine([[], [], [0, 1]])
        #expect(m.start() == [.start(0), .start(1)])
        #expect(m.stop(.cancelled) == [.cancelRunning])
        #expect(m.stopStatus == .cancelled)
        #expect(m.stop(.failed) == [])
        #expect(m.stepFinished(0, .cancelled) == [])
        #expect(m.stepFinished(1, .cancelled) == [.skip(2, .runStopped), .finish(.cancelled)])
    }

    @Test("a run timeout stops the run as failed")
    func stopFailed() {
        var m = machine([[], [0]])
        #expect(m.start() == [.start(0)])
        #expect(m.stop(.failed) == [.cancelRunning])
        #expect(m.stepFinished(0, .cancelled) == [.skip(1, .runStopped), .finish(.failed)])
    }

    @Test("reports for steps that are not running are ignored")
    func ignoresUnknownReports() {
        var m = machine([[], [0]])
        #expect(m.start() == [.start(0)])
        #expect(m.stepFinished(1, .succeeded) == [])
        #expect(m.stepFinished(0, .succeeded) == [.start(1)])
        #expect(m.stepFinished(0, .succeeded) == [])
    }
}
