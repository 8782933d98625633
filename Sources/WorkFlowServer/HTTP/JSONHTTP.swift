import Foundation
import Hummingbird
import NIOCore
import WorkFlowEngine

/// A JSON answer written by the engine's own writer, which keeps object keys in order.
public struct JSONResponse: ResponseGenerator {
    public var status: HTTPResponse.Status
    public var body: JSONValue
    public var headers: HTTPFields

    public init(_ body: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(from: body))))
    }
}

extension Request {
    /// The body as bytes, up to the context's upload limit (413 beyond it).
    func bodyBytes(context: AppRequestContext) async throws(APIError) -> ByteBuffer {
        var request = self
        do {
            return try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError(
                .contentTooLarge, code: "too_large", message: "the request body is larger than \(context.maxUploadSize) bytes")
        }
    }

    /// The body parsed as JSON, or `nil` when there is none. Malformed JSON is a 400 that says where.
    func jsonBody(context: AppRequestContext) async throws(APIError) -> JSONValue? {
        try Self.parseJSON(try await bodyBytes(context: context))
    }

    /// Bytes already read from a body, parsed as JSON: `nil` when empty or only whitespace.
    static func parseJSON(_ buffer: ByteBuffer) throws(APIError) -> JSONValue? {
        guard buffer.readableBytes > 0 else { return nil }
        let text = String(buffer: buffer)
        guard !text.allSatisfy(\.isWhitespace) else { return nil }
        do {
            return try JSONParser.parse(text)
        } catch {
            throw APIError.badRequest("the request body is not valid JSON: \(error)", code: "malformed_json")
        }
    }

    /// The body as a JSON object; missing → 400 naming what is expected.
    func jsonObject(context: AppRequestContext, required: Bool = true) async throws(APIError) -> JSONObject {
        switch try await jsonBody(context: context) {
        case .object(let object)?: return object
        case nil where !required: return [:]
        case nil: throw APIError.badRequest("a JSON object body is required", code: "missing_body")
        case let other?: throw APIError.badRequest("the body must be a JSON object, not a \(other.typeName)", code: "invalid_body")
        }
    }

    /// A query parameter as an integer within `range`; absent → `default`; anything else → 400.
    func integerQuery(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalidField(name, "'\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// A query parameter as text, if present and non-empty.
    func textQuery(_ name: String) -> String? {
        guard let text = uri.queryParameters.get(name), !text.isEmpty else { return nil }
        return text
    }
}
