import Foundation
import NIOHTTP1
import WorkFlowEngine

/// `common.Notify`: tells people and systems what happened — e-mail over SMTP, or a JSON webhook.
public struct NotifyModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        switch method {
        case "email": return try await sendEmail(params, context: context)
        case "webhook": return try await sendWebhook(params, context: context)
        default:
            throw UnknownMethodError(module: Self.moduleDescriptor.name, method: method, available: Self.moduleDescriptor.methods.map(\.name))
        }
    }

    static let moduleDescriptor = ModuleDescriptor(
        name: "common.Notify",
        doc: "Notifications: e-mail through an SMTP server, or a JSON webhook.",
        methods: [emailMethod, webhookMethod])
}

// MARK: webhook

extension NotifyModule {
    static let webhookMethods: Set<String> = ["POST", "PUT", "PATCH", "GET", "DELETE"]

    /// Sends `body` as JSON to `url`; unlike the seed, the answer's status code and body come back.
    func sendWebhook(_ params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        let url = try HTTPParameters.url(reader)
        let body = try reader.required("body")
        let methodName = try reader.string("method", default: "POST").uppercased()
        guard Self.webhookMethods.contains(methodName) else {
            throw ParameterError(path: "method", message: "expected one of \(Self.webhookMethods.sorted().joined(separator: ", ")), got \(ParameterReader.describe(.string(methodName)))")
        }
        var request = OutboundRequest(method: HTTPMethod(rawValue: methodName), url: url, timeout: try HTTPParameters.timeout(reader))
        request.headers = try HTTPParameters.headers(reader)
        request.verifyTLS = try reader.bool("verify_ssl", default: true)
        request.caFile = try reader.optionalString("ca_file")
        request.body = Array(JSONWriter.string(from: body).utf8)
        request.setDefaultHeader("Content-Type", "application/json")

        let output = try await HttpModule.perform(request, context: context)
        // The seed answered `{"status"}` alone; the code and the answer's body are kept too, and
        // the response headers are left out as webhooks rarely need them.
        guard case .object(var result) = output.result else { return output }
        result.removeValue(forKey: "headers")
        return ModuleOutput(result: .object(result), error: output.error)
    }

    static let webhookMethod = MethodDescriptor(
        "webhook",
        doc: "Sends body as JSON to url (POST by default); returns the answer's status code and body.",
        parameters: [
            ParameterDescriptor("url", .string, required: true, doc: "The http:// or https:// URL to call."),
            ParameterDescriptor("body", .any, required: true, doc: "The JSON payload."),
            ParameterDescriptor("method", .string, default: "POST", doc: "POST, PUT, PATCH, GET or DELETE."),
            ParameterDescriptor("headers", .object, default: .object([:]), doc: "Extra request headers (e.g. an Authorization token)."),
            ParameterDescriptor("timeout", .number, default: .int(HttpModule.defaultTimeoutSeconds), doc: "Seconds for the whole call."),
            ParameterDescriptor("verify_ssl", .boolean, default: true, doc: "Verify the server's TLS certificate and host name."),
            ParameterDescriptor("ca_file", .string, doc: "A PEM file of certificate authorities to trust instead of the system's."),
        ],
        result: #"{"status": <2xx>, "status_code": 200, "data": <the answer, JSON or text>}"#)
}
