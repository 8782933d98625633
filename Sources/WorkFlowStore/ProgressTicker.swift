import Synchronization
import WorkFlowEngine

/// Writes the waiting changes of every running run's ``StoreRunRecorder`` once per `interval`:
/// one task for a whole server instead of a timer per run.
///
/// A recorder joins when it first has something waiting and leaves when its run ends (its end
/// writes whatever still waits). ``run()`` ticks until its task is cancelled.
public final class ProgressTicker: Sendable {
    /// How long a change may wait to be written.
    public let interval: Duration
    private let clock: any EngineClock
    private let recorders = Mutex<[ObjectIdentifier: StoreRunRecorder]>([:])

    public init(interval: Duration, clock: any EngineClock = SystemClock()) {
        self.interval = interval
        self.clock = clock
    }

    /// How many recorders are ticked.
    public var count: Int { recorders.withLock { $0.count } }

    func remember(_ recorder: StoreRunRecorder) {
        recorders.withLock { $0[ObjectIdentifier(recorder)] = recorder }
    }

    func forget(_ recorder: StoreRunRecorder) {
        recorders.withLock { $0[ObjectIdentifier(recorder)] = nil }
    }

    /// Hands every recorder's waiting changes to a write.
    public func tick() async {
        for recorder in recorders.withLock({ Array($0.values) }) {
            await recorder.tick()
        }
    }

    /// Ticks every `interval` until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
            } catch {
                return
            }
            await tick()
        }
    }
}
