import Hummingbird
import Logging
import NIOCore
import WorkFlowStore

/// `GET /metrics`: the server's metrics in Prometheus' text format, for a Prometheus scrape
/// (which authenticates like any client; see docs/server.md).
struct MetricsController {
    let metrics: ServerMetrics
    let queue: any RunQueue
    let logger: Logger

    func addRoutes(to routes: RouteTable) {
        routes.add(
            .get, "/metrics", "Prometheus metrics: runs and steps finished and their durations, queue depth, HTTP requests",
            produces: "text/plain"
        ) { _, context in
            try context.require(.read)
            return await scrape()
        }
    }

    /// The queue depth is read now, from the store every node shares; the other metrics are
    /// this process's own.
    func scrape() async -> Response {
        do {
            metrics.queueDepth(try await queue.queueDepth())
        } catch {
            // The other metrics are still worth answering; the gauge keeps its last value.
            logger.warning("could not read the queue depth for /metrics", metadata: ["error": "\(error)"])
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }
}
