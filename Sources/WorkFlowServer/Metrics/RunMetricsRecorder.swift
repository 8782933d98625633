import WorkFlowEngine

/// Counts and times the runs and steps that execute in this process, for `GET /metrics`.
struct RunMetricsRecorder: RunRecorder {
    let metrics: ServerMetrics

    func record(_ event: RunEvent) async {
        switch event {
        case .stepFinished(let step):
            metrics.stepFinished(module: step.module, status: step.status, durationMs: step.durationMs)
        case .runFinished(let result):
            metrics.runFinished(status: result.status, durationMs: result.durationMs)
        case .runStarted, .stepStarted:
            break
        }
    }
}
