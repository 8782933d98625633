import Foundation
import Hummingbird
import Logging
import WorkFlowEngine
import WorkFlowStore

/// Turns every error a route throws into a JSON answer in the shape its caller expects.
///
/// Paths under `/api/` and `/hooks/` answer API v1's `{"error": {"code", "message", "details"}}`.
/// Every other path is the seed's API, which answered `{"status": false, "error": message}`;
/// details (such as validation problems) come along under `details`. Unexpected errors are
/// logged with the request id and answered 500 without internals.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    /// Draws the page a browser gets for a path that does not exist.
    var pages: PageRenderer?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, request: request, context: context)
            if let pages, Self.wantsPage(request) {
                return pages.errorPage(apiError, request: request, identity: context.identity)
            }
            return Self.response(apiError, for: request)
        }
    }

    /// The answer for any error: ours as they are, the store's mapped, the router's (no route,
    /// wrong method) worded; anything else is logged and becomes a bare 500.
    static func apiError(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            let apiError = APIError(error)
            if apiError.status == .internalServerError {
                context.logger.error("store error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            return apiError
        case let error as HTTPError:
            return apiError(error, request: request)
        default:
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return .internal()
        }
    }

    /// A browser's navigation to a path outside the APIs: it gets a page, not JSON.
    static func wantsPage(_ request: Request) -> Bool {
        guard request.method == .get, let accept = request.headers[.accept], accept.contains("text/html") else { return false }
        let path = request.uri.path
        return !isV1(path) && !SeedPaths.isSeedAPI(path)
    }

    /// Whether the path belongs to API v1 (and so gets its error shape).
    static func isV1(_ path: String) -> Bool {
        path.hasPrefix("/api/") || path.hasPrefix("/hooks/")
    }

    static func response(_ error: APIError, for request: Request) -> Response {
        let body: JSONValue =
            if isV1(request.uri.path) {
                ["error": ["code": .string(error.code), "message": .string(error.message), "details": error.details]]
            } else if error.details == .null {
                ["status": false, "error": .string(error.message)]
            } else {
                ["status": false, "error": .string(error.message), "details": error.details]
            }
        var headers = error.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: .init(string: JSONWriter.string(from: body))))
    }

    private static func apiError(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            .notFound("no route for \(request.method) \(request.uri.path)")
        case .methodNotAllowed:
            APIError(.methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.uri.path)")
        case .contentTooLarge:
            APIError(.contentTooLarge, code: "too_large", message: error.body ?? "the request body is too large")
        default:
            APIError(error.status, code: "http_\(error.status.code)", message: error.body ?? error.status.reasonPhrase, headers: error.headers)
        }
    }
}

/// The seed's REST API paths, which answer JSON whoever asks.
enum SeedPaths {
    static func isSeedAPI(_ path: String) -> Bool {
        path == "/flow" || path.hasPrefix("/flow/") || path.hasPrefix("/run/") || path == "/backup" || path == "/restore"
            || path == "/healthz" || path == "/metrics"
    }
}
