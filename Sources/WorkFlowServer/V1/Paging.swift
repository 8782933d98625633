import Hummingbird
import WorkFlowEngine

/// `?limit=&offset=` for list routes, and the page answer: `{"items", "limit", "offset", "next_offset"}`.
struct Paging {
    var limit: Int
    var offset: Int

    init(_ request: Request, defaultLimit: Int = 50) throws(APIError) {
        limit = try request.integerQuery("limit", default: defaultLimit, in: 1...1000)
        offset = try request.integerQuery("offset", default: 0, in: 0...Int(Int32.max))
    }

    /// Asks the store for one more than the page, to know whether another page follows.
    var probeLimit: Int { limit + 1 }

    func page(_ items: [JSONValue]) -> JSONResponse {
        let more = items.count > limit
        return JSONResponse([
            "items": .array(Array(items.prefix(limit))),
            "limit": .int(limit),
            "offset": .int(offset),
            "next_offset": more ? .int(offset + limit) : .null,
        ])
    }
}

extension Parameters {
    /// A path parameter as a run id; anything else is a 404 (no such run).
    func runID(_ name: String = "id") throws -> Int64 {
        let text = try require(name)
        guard let id = Int64(text), id > 0 else { throw APIError.notFound("run \(text) does not exist") }
        return id
    }

    /// A path parameter as a version number.
    func versionNumber(_ name: String) throws -> Int {
        let text = try require(name)
        guard let number = Int(text), number > 0 else { throw APIError.invalidField(name, "'\(text)' is not a version number") }
        return number
    }
}

extension JSONObject {
    /// An optional string field; present with another type is a 400 naming the field.
    func optionalString(_ field: String) throws(APIError) -> String? {
        switch self[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw APIError.invalidField(field, "must be a string, not a \(other.typeName)")
        }
    }

    /// A required non-empty string field.
    func requiredString(_ field: String) throws(APIError) -> String {
        guard let text = try optionalString(field), !text.isEmpty else { throw APIError.invalidField(field, "a non-empty string is required") }
        return text
    }

    /// An optional object field.
    func optionalObject(_ field: String) throws(APIError) -> JSONObject? {
        switch self[field] {
        case nil, .null?: return nil
        case .object(let object)?: return object
        case let other?: throw APIError.invalidField(field, "must be an object, not a \(other.typeName)")
        }
    }

    /// A required object field.
    func requiredObject(_ field: String) throws(APIError) -> JSONObject {
        guard let object = try optionalObject(field) else { throw APIError.invalidField(field, "an object is required") }
        return object
    }

    /// An optional boolean field.
    func optionalBool(_ field: String) throws(APIError) -> Bool? {
        switch self[field] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw APIError.invalidField(field, "must be true or false, not a \(other.typeName)")
        }
    }
}
