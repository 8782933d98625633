import Foundation
import Synchronization

/// Runs long synchronous work (parsing or writing a large file, C library calls) on a thread of
/// its own, so that it does not hold one of the few threads of Swift's cooperative pool.
///
/// The work gets an `isCancelled` check: cancelling the awaiting task sets it, and the work is
/// expected to look at it often (every few thousand rows) and throw `CancellationError`.
enum DedicatedThread {
    static func run<Value: Sendable>(
        _ work: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> Value
    ) async throws -> Value {
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let thread = Thread {
                    continuation.resume(with: Result { try work(flag.isSet) })
                }
                // Room for deep parser and C library call chains; secondary threads get a small stack by default.
                thread.stackSize = 8 << 20
                thread.name = "workflow-file-io"
                thread.start()
            }
        } onCancel: {
            flag.set()
        }
    }
}

/// A flag one task raises and a thread reads.
private final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func set() { raised.store(true, ordering: .relaxed) }

    @Sendable func isSet() -> Bool { raised.load(ordering: .relaxed) }
}
