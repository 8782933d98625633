import Foundation
import WorkFlowEngine

/// The module child of one run: started by the first step that needs it, kept for the rest of
/// the run so modules can keep state between steps, ended with the run (it is a ``RunResource``).
///
/// Requests are served one at a time, in the order they arrive: parallel branches that call
/// custom modules take turns. When a step is cancelled (its timeout, or the run's) the child is
/// killed; a later step starts a new one, without the state the old one held.
public actor ScriptHost: RunResource {
    private let launch: ScriptLaunch
    private var child: ScriptChild?
    private var nextID = 1
    private var busy = false
    private var waiting: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiter: UInt64 = 0
    private var closed = false
    /// What this run's child has been told of `context`, so each request sends only what changed.
    private var sent: [String: JSONValue] = [:]
    private var restarts = 0

    public init(launch: ScriptLaunch) {
        self.launch = launch
    }

    /// Sends one call and returns the reply; `context` is the run context the seed's modules
    /// see (earlier results, `var`, `__trigger_by__`).
    func call(module: String, method: String, params: JSONObject, context: JSONObject, step: String, logger: StepLogger) async throws -> ScriptReply {
        try await acquire()
        defer { release() }
        if closed { throw ScriptChildError(description: "the run has ended") }
        let child = try await runningChild(logger: logger)
        var changed: JSONObject = [:]
        for (key, value) in context where sent[key] != value {
            changed[key] = value
        }
        let id = nextID
        nextID += 1
        let message: JSONObject = [
            "type": "call", "id": .int(id), "module": .string(module), "method": .string(method), "step": .string(step),
            "params": .object(params), "context": .object(changed),
        ]
        let reply = try await child.request(message, id: id, logger: logger)
        for (key, value) in changed { sent[key] = value }
        return reply
    }

    /// Asks the program to describe itself (executable modules).
    func describe(logger: StepLogger) async throws -> ScriptReply {
        try await acquire()
        defer { release() }
        if closed { throw ScriptChildError(description: "the module host was closed") }
        let child = try await runningChild(logger: logger)
        let id = nextID
        nextID += 1
        return try await child.request(["type": "describe", "id": .int(id)], id: id, logger: logger)
    }

    public func close() async {
        closed = true
        let child = self.child
        self.child = nil
        await child?.close()
    }

    private func runningChild(logger: StepLogger) async throws -> ScriptChild {
        if let child, child.isAlive { return child }
        if child != nil {
            restarts += 1
            logger.warning("starting a new module process for this run; what earlier steps kept in it (context entries, open connections) is gone")
            await child?.close(grace: .zero)
        }
        let started = try await ScriptChild.start(launch)
        if closed {
            // The run ended while this child started.
            await started.close(grace: .zero)
            throw ScriptChildError(description: "the run has ended")
        }
        child = started
        sent = [:]
        return started
    }

    /// Waits for the child's turn; a cancelled wait (the step's timeout) gives up its place.
    private func acquire() async throws {
        try Task.checkCancellation()
        if !busy {
            busy = true
            return
        }
        nextWaiter += 1
        let id = nextWaiter
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Cancelled before waiting: the handler's task may already have looked.
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().continuation.resume()
        }
    }
}
