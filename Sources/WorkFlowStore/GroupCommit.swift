/// Writes that arrive while a batch is being written wait, and go together as the next batch:
/// one transaction for many callers ("group commit").
///
/// An idle store writes a lone request at once; a busy one writes fewer, larger transactions
/// instead of queueing every caller for the one writer. On SQLite, where every statement is a
/// hand-off to the driver's thread and back, this is what lets many runs be queued and finished
/// per second.
///
/// Each caller gets its own outcome. The batch is written by a task of its own, so a caller
/// whose task is cancelled still has its request written (the drivers refuse work on a
/// cancelled task).
actor GroupCommit<Request: Sendable, Response: Sendable> {
    typealias Outcome = Result<Response, StoreError>
    /// Writes a batch; returns one outcome per request, in order.
    typealias Writer = @Sendable ([Request]) async -> [Outcome]

    private struct Waiting {
        var request: Request
        var writer: Writer
        var reply: CheckedContinuation<Outcome, Never>
    }

    private let maximumBatch: Int
    private var waiting: [Waiting] = []
    private var draining = false

    init(maximumBatch: Int) {
        self.maximumBatch = max(1, maximumBatch)
    }

    /// Writes `request` with whatever else waits, using `writer` (every caller of one group
    /// passes a writer of the same meaning; the batch uses its first request's).
    func submit(_ request: Request, writer: @escaping Writer) async -> Outcome {
        await withCheckedContinuation { reply in
            waiting.append(Waiting(request: request, writer: writer, reply: reply))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(maximumBatch))
            waiting.removeFirst(batch.count)
            var outcomes = await batch[0].writer(batch.map(\.request))
            if outcomes.count != batch.count {
                let error = StoreError.database(operation: "write a batch", message: "\(outcomes.count) outcomes for \(batch.count) requests")
                outcomes = Array(repeating: .failure(error), count: batch.count)
            }
            for (item, outcome) in zip(batch, outcomes) { item.reply.resume(returning: outcome) }
        }
        draining = false
    }
}
