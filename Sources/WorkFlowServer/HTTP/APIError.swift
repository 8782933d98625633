import Foundation
import HTTPTypes
import WorkFlowEngine
import WorkFlowStore

/// An error the API reports to its caller: a status, a stable machine-readable code, a message
/// for people, and details (for example every validation problem with its JSON path).
///
/// API v1 answers `{"error": {"code", "message", "details"}}`; the seed's routes answer
/// `{"status": false, "error": message}` as the seed did (see ``ErrorMiddleware``).
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: JSONValue
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: JSONValue = .null, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "bad_request", details: JSONValue = .null) -> APIError {
        APIError(.badRequest, code: code, message: message, details: details)
    }

    /// A request field that is missing or has the wrong type; `field` is its JSON path.
    public static func invalidField(_ field: String, _ problem: String) -> APIError {
        APIError(
            .badRequest, code: "invalid_field", message: "\(field): \(problem)",
            details: [["path": .string(field), "message": .string(problem)]])
    }

    /// Every problem of a workflow document, each with its JSON path.
    public static func invalidWorkflow(_ issues: [ValidationIssue]) -> APIError {
        let summary = issues.prefix(3).map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        let more = issues.count > 3 ? " (and \(issues.count - 3) more)" : ""
        return APIError(
            .badRequest, code: "invalid_workflow",
            message: "the workflow is not valid: \(summary)\(more)",
            details: .array(issues.map { ["path": .string($0.path), "message": .string($0.message)] }))
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    public static func conflict(_ message: String) -> APIError {
        APIError(.conflict, code: "conflict", message: message)
    }

    public static func unauthorized(
        _ message: String = "authentication required: send an API key (X-Api-Key or Authorization: Bearer) or sign in"
    ) -> APIError {
        APIError(.unauthorized, code: "unauthorized", message: message, headers: [.wwwAuthenticate: "Bearer"])
    }

    public static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    public static func tooManyRequests(_ message: String, retryAfterSeconds: Int) -> APIError {
        APIError(
            .tooManyRequests, code: "too_many_requests", message: message,
            headers: [.retryAfter: String(max(1, retryAfterSeconds))])
    }

    public static func `internal`(_ message: String = "internal error; the server log has the details") -> APIError {
        APIError(.internalServerError, code: "internal", message: message)
    }

    /// The store's errors with the status that fits each.
    public init(_ error: StoreError) {
        switch error {
        case .invalidName, .invalidUsername, .invalidAPIKeyName, .invalidSetting, .invalidScheduleName, .invalidWebhookName:
            self = .badRequest(error.description, code: "invalid_name")
        case .invalidProfile(let field, _):
            self = .badRequest(error.description, code: "invalid_field", details: ["field": .string(field)])
        case .invalidModuleName(let field, _):
            self = .badRequest(error.description, code: "invalid_name", details: ["field": .string(field)])
        case .flowNotFound, .versionNotFound, .runNotFound, .userNotFound, .apiKeyNotFound, .scheduleNotFound, .webhookNotFound,
            .moduleNotFound, .moduleVersionNotFound, .moduleCategoryNotFound:
            self = .notFound(error.description)
        case .flowExists, .userExists, .apiKeyExists, .scheduleExists, .webhookExists, .moduleExists, .moduleCategoryExists,
            .moduleCategoryNotEmpty:
            self = .conflict(error.description)
        case .unsupportedURL, .corruptValue, .database:
            self = APIError(.internalServerError, code: "store", message: error.description)
        }
    }
}
