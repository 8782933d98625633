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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return Self.response(error, for: request)
        } catch let error as StoreError {
            let apiError = APIError(error)
            if apiError.status == .internalServerError {
                context.logger.error("store error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            return Self.response(apiError, for: request)
        } catch let error as HTTPError {
            return Self.response(Self.apiError(error, request: request), for: request)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return Self.response(.internal(), for: request)
        }
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
