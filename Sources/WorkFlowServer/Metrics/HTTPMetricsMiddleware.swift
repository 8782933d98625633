import Hummingbird

/// Counts and times every request by method, matched route and status.
///
/// It sits outside ``ErrorMiddleware`` so that it sees the status the client gets. The time is
/// taken when the response's head is ready: for an event stream that is the time to the first
/// byte, not how long the client stayed.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ServerMetrics

    /// The route label of a request that matched no route (Hummingbird's router sets the same);
    /// raw paths would make unbounded series.
    static let unmatched = "NotFound"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: status, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        metrics.requestAnswered(
            method: request.method.rawValue, route: context.endpointPath ?? Self.unmatched, status: status,
            duration: ContinuousClock.now - start)
    }
}
