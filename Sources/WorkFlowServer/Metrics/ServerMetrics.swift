import CoreMetrics
import Foundation
import Prometheus
import WorkFlowEngine
import WorkFlowStore

/// The server's metrics, kept in one Prometheus registry that `GET /metrics` renders.
///
/// Metrics are made through swift-metrics' API with a factory bound to this registry, never
/// through the process-wide `MetricsSystem` (which can be bootstrapped only once per process):
/// each server — and each test — keeps numbers of its own.
public struct ServerMetrics: Sendable {
    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// The metric names, as Prometheus shows them.
    enum Name {
        static let runsFinished = "workflow_runs_finished_total"
        static let runDuration = "workflow_run_duration_seconds"
        static let stepsFinished = "workflow_steps_finished_total"
        static let stepDuration = "workflow_step_duration_seconds"
        static let queueDepth = "workflow_queue_depth"
        static let httpRequests = "workflow_http_requests_total"
        static let httpDuration = "workflow_http_request_duration_seconds"
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Runs and steps take from milliseconds to hours; requests from microseconds to seconds
        // (the factory's default buckets, 5 ms to 10 s, fit those).
        let long: [Duration] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
        ]
        factory.durationHistogramBuckets = [Name.runDuration: long, Name.stepDuration: long]
        self.registry = registry
        self.factory = factory
    }

    /// A run ended: counted by status, its duration observed.
    func runFinished(status: RunStatus, durationMs: Int) {
        let dimensions = [("status", status.rawValue)]
        CoreMetrics.Counter(label: Name.runsFinished, dimensions: dimensions, factory: factory).increment()
        CoreMetrics.Timer(label: Name.runDuration, dimensions: dimensions, factory: factory).recordMilliseconds(durationMs)
    }

    /// A step reached a final status: counted by module and status; its duration observed when
    /// it ran (a skipped step has none).
    func stepFinished(module: String, status: StepStatus, durationMs: Int?) {
        let dimensions = [("module", module), ("status", status.rawValue)]
        CoreMetrics.Counter(label: Name.stepsFinished, dimensions: dimensions, factory: factory).increment()
        if let durationMs {
            CoreMetrics.Timer(label: Name.stepDuration, dimensions: dimensions, factory: factory).recordMilliseconds(durationMs)
        }
    }

    /// An HTTP request was answered. `route` is the matched route pattern, never the raw path,
    /// so that the number of series stays bounded.
    func requestAnswered(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        CoreMetrics.Counter(label: Name.httpRequests, dimensions: dimensions, factory: factory).increment()
        let (seconds, attoseconds) = duration.components
        CoreMetrics.Timer(label: Name.httpDuration, dimensions: dimensions, factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The run queue's size as read at a scrape.
    func queueDepth(_ depth: QueueDepth) {
        CoreMetrics.Gauge(label: Name.queueDepth, dimensions: [("state", "queued")], factory: factory).record(depth.queued)
        CoreMetrics.Gauge(label: Name.queueDepth, dimensions: [("state", "claimed")], factory: factory).record(depth.claimed)
    }

    /// Every metric in Prometheus' text exposition format.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
