import Foundation
import NIOHTTP1
import WorkFlowEngine

/// `common.Http`: HTTP requests with the seed's parameters and result shape.
///
/// Unlike the seed, a request that gets no answer (refused, unknown host, TLS, timeout) says why
/// in `error`, and a 4xx/5xx answer fails the step with its status line while keeping the body.
public struct HttpModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    static let methods: [String: HTTPMethod] = [
        "get": .GET, "post": .POST, "put": .PUT, "delete": .DELETE, "patch": .PATCH, "head": .HEAD,
    ]
    static let defaultTimeoutSeconds = 30

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        guard let verb = Self.methods[method] else {
            throw UnknownMethodError(module: Self.moduleDescriptor.name, method: method, available: Self.moduleDescriptor.methods.map(\.name))
        }
        let request = try Self.request(verb, params)
        return try await Self.perform(request, context: context)
    }

    /// Reads the parameters every method shares into a request; errors name the parameter.
    static func request(_ verb: HTTPMethod, _ params: JSONObject) throws(ParameterError) -> OutboundRequest {
        let reader = ParameterReader(params)
        var url = try HTTPParameters.url(reader)
        if let query = try reader.optionalObject("params"), !query.isEmpty {
            url = try HTTPParameters.appendingQuery(query, to: url)
        }
        var request = OutboundRequest(method: verb, url: url, timeout: try HTTPParameters.timeout(reader))
        request.headers = try HTTPParameters.headers(reader)
        request.verifyTLS = try reader.bool("verify_ssl", default: true)
        request.caFile = try reader.optionalString("ca_file")
        request.followRedirects = try reader.bool("follow_redirects", default: true)

        // `json` wins over `data`, as in requests; a JSON null is no body at all.
        if let json = reader.value("json") {
            request.body = Array(JSONWriter.string(from: json).utf8)
            request.setDefaultHeader("Content-Type", "application/json")
        } else if let data = reader.value("data") {
            switch data {
            case .object(let fields):
                request.body = Array(try HTTPParameters.formEncoded(fields, parameter: "data").utf8)
                request.setDefaultHeader("Content-Type", "application/x-www-form-urlencoded")
            case .string(let text):
                request.body = Array(text.utf8)
            default:
                throw reader.mismatch("data", expected: "an object of form fields or a string body", got: data)
            }
        }
        if let auth = try reader.optionalObject("auth") {
            request.setDefaultHeader("Authorization", try HTTPParameters.authorization(auth))
        }
        return request
    }

    /// Sends `request` and shapes the answer as the seed did, with `error` when it failed.
    /// Throws only `CancellationError`, when the run was cancelled while waiting.
    static func perform(_ request: OutboundRequest, context: StepContext) async throws(CancellationError) -> ModuleOutput {
        let logger = context.logger
        let target = "\(request.method.rawValue) \(HTTPParameters.redacted(request.url))"
        logger.info("Sending \(target)")
        do {
            let response = try await HTTPTransport.send(request)
            let succeeded = (200..<300).contains(response.statusCode)
            let result: JSONObject = [
                "status": .bool(succeeded),
                "status_code": .int(response.statusCode),
                "headers": .object(HTTPParameters.headerObject(response.headers)),
                "data": request.method == .HEAD ? .string("") : HTTPParameters.decodeBody(response),
            ]
            logger.info("\(target) answered \(response.statusCode) \(response.reason) (\(response.body.count) bytes)")
            guard succeeded else {
                return .failure(.object(result), error: "HTTP \(response.statusCode) \(response.reason) from \(target)")
            }
            return .success(.object(result))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            logger.error("\(target) failed: \(error.description)")
            let result: JSONObject = [
                "status": false, "status_code": 0, "data": .null, "headers": .object([:]), "error": .string(error.description),
            ]
            return .failure(.object(result), error: error.description)
        }
    }

    static let moduleDescriptor: ModuleDescriptor = {
        let parameters = [
            ParameterDescriptor("url", .string, required: true, doc: "The http:// or https:// URL."),
            ParameterDescriptor("headers", .object, default: .object([:]), doc: "Request headers (values are strings, numbers or booleans)."),
            ParameterDescriptor("params", .object, default: .object([:]), doc: "Query parameters added to the URL; a list value repeats the key."),
            ParameterDescriptor("json", .any, doc: "A JSON body (sets Content-Type: application/json); takes precedence over data."),
            ParameterDescriptor("data", [.object, .string], doc: "Form fields (an object, sent URL-encoded) or a raw string body."),
            ParameterDescriptor("timeout", .number, default: .int(defaultTimeoutSeconds), doc: "Seconds for the whole request, redirects included."),
            ParameterDescriptor("auth", .object, doc: #"{"username", "password"} for HTTP Basic, or {"bearer": "<token>"}."#),
            ParameterDescriptor("verify_ssl", .boolean, default: true, doc: "Verify the server's TLS certificate and host name."),
            ParameterDescriptor("ca_file", .string, doc: "A PEM file of certificate authorities to trust instead of the system's."),
            ParameterDescriptor("follow_redirects", .boolean, default: true, doc: "Follow 3xx redirects (at most 30)."),
        ]
        let result = #"{"status": <2xx>, "status_code": 200, "headers": {...}, "data": <JSON or text>}"#
        func method(_ name: String, _ doc: String) -> MethodDescriptor {
            MethodDescriptor(name, doc: doc, parameters: parameters, result: result)
        }
        return ModuleDescriptor(
            name: "common.Http",
            doc: "HTTP requests: JSON or text answers, status and headers; failures say what happened in error.",
            methods: [
                method("get", "Sends a GET request."),
                method("post", "Sends a POST request."),
                method("put", "Sends a PUT request."),
                method("delete", "Sends a DELETE request."),
                method("patch", "Sends a PATCH request."),
                method("head", "Sends a HEAD request (data is always empty)."),
            ])
    }()
}

extension OutboundRequest {
    /// Adds a header unless the workflow already set one of that name.
    mutating func setDefaultHeader(_ name: String, _ value: String) {
        guard !headers.contains(where: { $0.name.lowercased() == name.lowercased() }) else { return }
        headers.append((name, value))
    }
}

/// Reading and writing the pieces `common.Http` and `common.Notify.webhook` share.
enum HTTPParameters {
    static func url(_ reader: ParameterReader, name: String = "url") throws(ParameterError) -> URL {
        let text = try reader.string(name)
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw ParameterError(path: name, message: "expected an http:// or https:// URL with a host, got \(ParameterReader.describe(.string(text)))")
        }
        return url
    }

    static func timeout(_ reader: ParameterReader) throws(ParameterError) -> Duration {
        let seconds = try reader.timeoutSeconds(default: Double(HttpModule.defaultTimeoutSeconds))
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static func headers(_ reader: ParameterReader) throws(ParameterError) -> [(name: String, value: String)] {
        guard let object = try reader.optionalObject("headers") else { return [] }
        var headers: [(name: String, value: String)] = []
        for (name, value) in object {
            let text: String
            switch value {
            case .string(let s): text = s
            case .int, .double, .bool: text = value.pythonDescription
            default: throw reader.mismatch("headers.\(name)", expected: "a string", got: value)
            }
            // A line break would start a header of the caller's choosing: refuse it.
            guard !name.isEmpty, !name.contains(where: { $0.isNewline || $0 == ":" || $0 == " " }), !text.contains(where: \.isNewline) else {
                throw ParameterError(path: "headers.\(name)", message: "a header name or value must not contain line breaks, and a name no colon or space")
            }
            headers.append((name, text))
        }
        return headers
    }

    static func authorization(_ auth: JSONObject) throws(ParameterError) -> String {
        if let token = auth["bearer"] {
            guard case .string(let value) = token, !value.isEmpty else {
                throw ParameterError(path: "auth.bearer", message: "expected a non-empty string token, got \(ParameterReader.describe(token))")
            }
            return "Bearer \(value)"
        }
        guard case .string(let username)? = auth["username"] else {
            throw ParameterError(path: "auth.username", message: #"expected {"username", "password"} or {"bearer"}, got \#(ParameterReader.describe(auth["username"] ?? .null))"#)
        }
        guard case .string(let password)? = auth["password"] else {
            throw ParameterError(path: "auth.password", message: "expected a string, got \(ParameterReader.describe(auth["password"] ?? .null))")
        }
        return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// `key=value&…` with requests' encoding: lists repeat the key, nulls are left out, booleans read `True`.
    static func formEncoded(_ fields: JSONObject, parameter: String) throws(ParameterError) -> String {
        var pairs: [String] = []
        for (key, value) in fields {
            let items: [JSONValue]
            if case .array(let list) = value { items = list } else { items = [value] }
            for item in items {
                switch item {
                case .null: continue
                case .string(let s): pairs.append(escape(key) + "=" + escape(s))
                case .int, .double, .bool: pairs.append(escape(key) + "=" + escape(item.pythonDescription))
                default:
                    throw ParameterError(path: "\(parameter).\(key)", message: "expected a string, number, boolean or a list of them, got \(ParameterReader.describe(item))")
                }
            }
        }
        return pairs.joined(separator: "&")
    }

    static func appendingQuery(_ query: JSONObject, to url: URL) throws(ParameterError) -> URL {
        let encoded = try formEncoded(query, parameter: "params")
        guard !encoded.isEmpty else { return url }
        var text = url.absoluteString
        var fragment = ""
        if let hash = text.firstIndex(of: "#") {
            fragment = String(text[hash...])
            text = String(text[..<hash])
        }
        text += (url.query == nil ? "?" : (text.hasSuffix("?") || text.hasSuffix("&") ? "" : "&")) + encoded + fragment
        guard let result = URL(string: text) else {
            throw ParameterError(path: "params", message: "the query makes an invalid URL: \(text)")
        }
        return result
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// Response headers as an object; repeated headers are joined with ", " (as requests does).
    static func headerObject(_ headers: [(name: String, value: String)]) -> JSONObject {
        var object: JSONObject = [:]
        for header in headers {
            if case .string(let earlier)? = object[header.name] {
                object[header.name] = .string(earlier + ", " + header.value)
            } else {
                object[header.name] = .string(header.value)
            }
        }
        return object
    }

    /// `url` for logs and errors: no password in its user part, and secret-looking query values
    /// (`token=`, `api_key=`, ...) masked.
    static func redacted(_ url: URL) -> String {
        guard var parts = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url.absoluteString }
        if parts.password != nil { parts.password = SecretMasker.mask }
        if let items = parts.percentEncodedQueryItems, items.contains(where: { SecretMasker.isSensitive(name: $0.name) }) {
            parts.percentEncodedQueryItems = items.map {
                SecretMasker.isSensitive(name: $0.name) ? URLQueryItem(name: $0.name, value: SecretMasker.mask) : $0
            }
        }
        return parts.string ?? url.absoluteString
    }

    /// The body as JSON when it parses as JSON (what the seed's `resp.json()` attempt did), else as text.
    static func decodeBody(_ response: InboundResponse) -> JSONValue {
        let text = String(decoding: response.body, as: UTF8.self)
        if let json = try? JSONParser.parse(text), !text.isEmpty { return json }
        return .string(text)
    }
}
