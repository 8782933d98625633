import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import WorkFlowEngine
import WorkFlowStore

/// `GET /api/v1/runs/<id>/events`: a run followed live as Server-Sent Events.
///
/// The stream opens with a `snapshot` (the run with its steps), so a late subscriber misses
/// nothing, then tells each change once: `run_started`, `step_started`, `log`, `step_finished`
/// and finally `run_finished`, after which it ends. A run that has already ended gets its
/// snapshot and `run_finished` at once.
///
/// Runs executing in this process are followed through the ``RunEventHub`` as their events
/// happen. The store is polled as well, so runs executing on another node (sharing the
/// database) are followed too, a poll interval behind; ``RunFollowState`` drops what both report.
struct RunEventsController {
    let store: SQLStore
    let hub: RunEventHub
    let clock: any EngineClock
    let logger: Logger
    /// How often the store is read for changes made by other nodes.
    var pollInterval: Duration = .milliseconds(500)
    /// How often a comment is sent on an otherwise quiet stream.
    var heartbeatInterval: Duration = .seconds(15)

    func addRoutes(to routes: RouteTable) {
        routes.add(
            .get, "/api/v1/runs/:id/events",
            "Follow a run live (text/event-stream): snapshot, run_started, step_started, log, step_finished, run_finished",
            produces: "text/event-stream"
        ) { _, context in
            try context.require(.read)
            return try await events(runID: try context.parameters.runID())
        }
    }

    /// What a stream reacts to, from its three sources.
    private enum Input: Sendable {
        case live(LiveRunEvent)
        case polled(StoredRun?, [StepRecord])
        case heartbeat
        case shutdown
    }

    private func events(runID: Int64) async throws -> Response {
        guard try await store.run(id: runID) != nil else { throw APIError.notFound("run \(runID) does not exist") }
        // Subscribing before the snapshot is read means no change can fall between the two.
        let live = await hub.subscribe(runID: runID)
        guard let run = try await store.run(id: runID) else { throw APIError.notFound("run \(runID) does not exist") }
        var state = RunFollowState()
        let first = state.snapshot(run: run, steps: try await store.steps(runID: runID))
        return Response(
            status: .ok, headers: ServerSentEvents.headers,
            body: ResponseBody { [state] writer in
                try await writer.write(ServerSentEvents.buffer(first))
                if !state.finished {
                    try await follow(runID: runID, state: state, live: live, writer: &writer)
                }
                try await writer.finish(nil)
            })
    }

    /// Writes the run's changes until it finishes, the client goes, or the server stops.
    private func follow(
        runID: Int64, state initial: RunFollowState, live: AsyncStream<LiveRunEvent>, writer: inout any ResponseBodyWriter
    ) async throws {
        var state = initial
        let (inputs, feed) = AsyncStream<Input>.makeStream()
        let (store, clock, logger, pollInterval, heartbeatInterval) = (store, clock, logger, pollInterval, heartbeatInterval)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in live { feed.yield(.live(event)) }
                }
                group.addTask {
                    while true {
                        try await clock.sleep(for: pollInterval)
                        do {
                            let run = try await store.run(id: runID)
                            let steps: [StepRecord] = if run == nil { [] } else { try await store.steps(runID: runID) }
                            feed.yield(.polled(run, steps))
                        } catch {
                            logger.warning("could not poll a followed run", metadata: ["run.id": "\(runID)", "error": "\(error)"])
                        }
                    }
                }
                group.addTask {
                    while true {
                        try await clock.sleep(for: heartbeatInterval)
                        feed.yield(.heartbeat)
                    }
                }
                loop: for await input in inputs {
                    switch input {
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ServerSentEvents.heartbeat))
                    case .shutdown:
                        // The server stops; tell what the store knows by now (runs stop before
                        // the HTTP servers, so this is often the run's end), then close.
                        if let run = try await store.run(id: runID) {
                            try await writer.write(ServerSentEvents.buffer(state.polled(run: run, steps: try await store.steps(runID: runID))))
                        }
                        break loop
                    case .polled(nil, _):
                        break loop  // the run is gone (removed by retention)
                    case .polled(let run?, let steps):
                        try await writer.write(ServerSentEvents.buffer(state.polled(run: run, steps: steps)))
                    case .live(.runStarted(_, let startedAt)):
                        try await writer.write(ServerSentEvents.buffer(state.runStarted(runID: runID, at: startedAt)))
                    case .live(.stepStarted(let record)), .live(.stepFinished(let record)):
                        try await writer.write(ServerSentEvents.buffer(state.step(record)))
                    case .live(.runFinished(let result)):
                        let (run, steps) = try await ending(runID: runID, result: result)
                        try await writer.write(ServerSentEvents.buffer(state.polled(run: run, steps: steps)))
                    }
                    if state.finished { break }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            feed.yield(.shutdown)
        }
    }

    /// The run as it ended. The store has written the end before the hub tells it (the store's
    /// recorder comes first); should that write have failed, the executor's result says it.
    private func ending(runID: Int64, result: RunResult) async throws -> (StoredRun, [StepRecord]) {
        guard var run = try await store.run(id: runID) else { throw APIError.notFound("run \(runID) does not exist") }
        if RunFollowState.hasEnded(run) { return (run, try await store.steps(runID: runID)) }
        run.status = result.status
        run.startedAt = run.startedAt ?? result.startedAt
        run.endedAt = result.endedAt
        run.durationMs = result.durationMs
        run.error = result.error
        return (run, result.steps)
    }
}
