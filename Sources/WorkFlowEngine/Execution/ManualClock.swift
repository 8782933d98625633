import Foundation
import Synchronization

/// A clock that moves only when told to, so tests of retries and timeouts never sleep.
///
/// In manual mode a `sleep` suspends until ``advance(by:)`` passes its deadline. With
/// `autoAdvance`, every `sleep` moves the clock forward by its duration and returns at once,
/// which suits retry delays; ``sleeps`` records every requested duration either way.
public final class ManualClock: EngineClock {
    private struct Sleeper {
        var id: UInt64
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var elapsed: Duration = .zero
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        var cancelledBeforeRegistration: Set<UInt64> = []
        var sleeps: [Duration] = []
    }

    private let start: Date
    private let autoAdvance: Bool
    private let state = Mutex(State())

    /// - Parameters:
    ///   - start: the wall-clock time the clock starts at.
    ///   - autoAdvance: whether `sleep` advances the clock itself instead of waiting.
    public init(start: Date = Date(timeIntervalSince1970: 1_767_225_600), autoAdvance: Bool = false) {
        self.start = start
        self.autoAdvance = autoAdvance
    }

    public func now() -> Date {
        let elapsed = state.withLock { $0.elapsed }
        let (seconds, attoseconds) = elapsed.components
        return start.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Every duration passed to `sleep`, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    /// How many sleeps are waiting for the clock to advance.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        if autoAdvance || duration <= .zero {
            state.withLock {
                $0.sleeps.append(duration)
                if duration > .zero { $0.elapsed += duration }
            }
            await Task.yield()
            try Task.checkCancellation()
            return
        }
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.sleeps.append(duration)
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { s -> Bool in
                    if s.cancelledBeforeRegistration.remove(id) != nil { return true }
                    s.sleepers.append(Sleeper(id: id, deadline: s.elapsed + duration, continuation: continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                if let i = s.sleepers.firstIndex(where: { $0.id == id }) { return s.sleepers.remove(at: i) }
                s.cancelledBeforeRegistration.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleep whose deadline has passed.
    public func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.elapsed += duration
            let due = s.sleepers.filter { $0.deadline <= s.elapsed }
            s.sleepers.removeAll { $0.deadline <= s.elapsed }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits until at least `count` sleeps are pending, yielding to other tasks meanwhile.
    public func waitForSleepers(_ count: Int = 1) async {
        while sleeperCount < count {
            await Task.yield()
        }
    }
}
