/// The scheduling decisions of a run, as a pure state machine: feed it what happened, it answers
/// with what to do. No IO and no time, so every rule is unit-tested directly.
///
/// Rules:
/// - A step is ready when every step it depends on has finished (succeeded, failed with
///   `on_error: continue`, or been skipped). Ready steps start in workflow order, at most
///   `maxParallel` at once.
/// - A disabled step is skipped as soon as it is ready; steps after it still run.
/// - A failure that stops the run (or a cancellation) cancels the running steps; once they have
///   all reported back, every step that never started is skipped and the run finishes.
public struct RunStateMachine: Sendable {
    /// How a started step ended.
    public enum Outcome: Sendable, Equatable {
        case succeeded
        /// The step failed; `stopsRun` is false for `on_error: continue`.
        case failed(stopsRun: Bool)
        /// Its `when` condition was false.
        case skipped
        case cancelled
    }

    /// Why a step was skipped without running.
    public enum SkipReason: Sendable, Equatable {
        case disabled
        /// The run stopped (failed or was cancelled) before the step could start.
        case runStopped
    }

    /// What the executor must do next.
    public enum Action: Sendable, Equatable {
        case start(Int)
        case skip(Int, SkipReason)
        /// Cancel every running step; each will still report its outcome.
        case cancelRunning
        case finish(RunStatus)
    }

    enum StepState: Equatable {
        case waiting, running, done
    }

    private let dependencies: [[Int]]
    private let dependents: [[Int]]
    private let disabled: [Bool]
    private let maxParallel: Int
    private var states: [StepState]
    private var unmetDependencies: [Int]
    /// Ready steps not yet started, kept sorted so they start in workflow order.
    private var ready: [Int] = []
    /// Disabled steps whose dependencies have finished, waiting to be skipped.
    private var readyDisabled: [Int] = []
    private var runningCount = 0
    private var stopping: RunStatus?
    private var finished = false

    /// The run's status when it ends, once decided; `nil` while it is still going normally.
    public var stopStatus: RunStatus? { stopping }

    public init(dependencies: [[Int]], disabled: [Bool], maxParallel: Int) {
        precondition(dependencies.count == disabled.count, "one disabled flag per step")
        self.dependencies = dependencies
        self.disabled = disabled
        self.maxParallel = max(1, maxParallel)
        var dependents = [[Int]](repeating: [], count: dependencies.count)
        for (i, deps) in dependencies.enumerated() {
            for j in deps { dependents[j].append(i) }
        }
        self.dependents = dependents
        self.states = Array(repeating: .waiting, count: dependencies.count)
        self.unmetDependencies = dependencies.map(\.count)
    }

    /// The first actions of the run.
    public mutating func start() -> [Action] {
        var actions: [Action] = []
        for i in dependencies.indices where unmetDependencies[i] == 0 {
            insertReady(i)
        }
        schedule(into: &actions)
        return actions
    }

    /// Reports that a started step ended.
    public mutating func stepFinished(_ index: Int, _ outcome: Outcome) -> [Action] {
        guard states[index] == .running else { return [] }
        states[index] = .done
        runningCount -= 1
        var actions: [Action] = []
        if case .failed(stopsRun: true) = outcome, stopping == nil {
            stopping = .failed
            if runningCount > 0 { actions.append(.cancelRunning) }
        }
        if stopping == nil {
            release(index)
        }
        schedule(into: &actions)
        return actions
    }

    /// Stops the run with `status` (`cancelled`, or `failed` for a run timeout).
    public mutating func stop(_ status: RunStatus) -> [Action] {
        guard stopping == nil, !finished else { return [] }
        stopping = status
        var actions: [Action] = []
        if runningCount > 0 { actions.append(.cancelRunning) }
        schedule(into: &actions)
        return actions
    }

    private mutating func release(_ index: Int) {
        for i in dependents[index] {
            unmetDependencies[i] -= 1
            if unmetDependencies[i] == 0 { insertReady(i) }
        }
    }

    private mutating func insertReady(_ i: Int) {
        if disabled[i] {
            readyDisabled.append(i)
            return
        }
        // Binary insertion keeps `ready` sorted by workflow order.
        var low = 0
        var high = ready.count
        while low < high {
            let mid = (low + high) / 2
            if ready[mid] < i { low = mid + 1 } else { high = mid }
        }
        ready.insert(i, at: low)
    }

    private mutating func schedule(into actions: inout [Action]) {
        guard !finished else { return }
        if let stopping {
            guard runningCount == 0 else { return }
            for i in states.indices where states[i] == .waiting {
                states[i] = .done
                actions.append(.skip(i, .runStopped))
            }
            ready.removeAll()
            readyDisabled.removeAll()
            finished = true
            actions.append(.finish(stopping))
            return
        }
        // Disabled steps are skipped the moment they are ready; that may make others ready.
        while !readyDisabled.isEmpty {
            let i = readyDisabled.removeFirst()
            states[i] = .done
            actions.append(.skip(i, .disabled))
            release(i)
        }
        var started = 0
        while runningCount < maxParallel, started < ready.count {
            let i = ready[started]
            started += 1
            states[i] = .running
            runningCount += 1
            actions.append(.start(i))
        }
        ready.removeFirst(started)
        if runningCount == 0 && ready.isEmpty {
            // Anything still waiting depends on a step that can never finish; validation rules
            // out cycles, so this is the normal end of the run.
            for i in states.indices where states[i] == .waiting {
                states[i] = .done
                actions.append(.skip(i, .runStopped))
            }
            finished = true
            actions.append(.finish(.success))
        }
    }
}
