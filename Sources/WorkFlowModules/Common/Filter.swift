import WorkFlowEngine

/// `common.Filter`: filters, reshapes, sorts, de-duplicates and pages lists of records.
///
/// Every method takes `data`, an array of objects, and answers `{"status": true, "data": [...],
/// "count": N}`. Empty data and bad request content (an unknown operator, a condition lacking a
/// field, values that cannot be compared, a negative count) answer the seed's failure shape
/// `{"status": false, "data": [], "count": 0}` with ``ModuleOutput/error`` saying why. A missing or
/// mistyped parameter throws ``ParameterError`` and fails the step, as the seed's `KeyError` did.
///
/// Differences from the seed, on purpose:
/// - `filter` checks every condition's fields before looking at any row, and compares with
///   ``JSONValue/looselyEquals(_:)``: `1 == 1.0`, but unlike Python `true != 1`.
/// - `select` applies every one of `cols`, `rename` and `drop` that is given, in that order; the
///   seed applied only the first present of them.
/// - `sort` keeps values as they are (the seed's pandas round trip turned ints into floats and
///   missing keys into NaN); rows missing the key, or holding null, sort last in either direction.
/// - `dedup` accepts nested arrays and objects, which the seed could not hash.
/// - `limit` rejects a negative `count` or `offset` instead of applying Python's negative slicing.
public struct FilterModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        switch method {
        case "filter":
            let rows = try RecordList.parse(reader, "data")
            let conditions = try Self.conditionObjects(reader)
            return respond(method, rows: rows, context: context) { rows throws(Failure) in
                try Self.filter(rows, conditions: try Condition.parse(conditions))
            }
        case "select":
            let rows = try RecordList.parse(reader, "data")
            let projection = try Projection(reader)
            return respond(method, rows: rows, context: context) { rows in rows.map(projection.apply) }
        case "sort":
            let rows = try RecordList.parse(reader, "data")
            let request = try SortRequest(reader)
            return respond(method, rows: rows, context: context) { rows throws(Failure) in
                try request.sort(rows)
            }
        case "dedup":
            let rows = try RecordList.parse(reader, "data")
            let columns = try reader.optionalStringList("cols")
            return respond(method, rows: rows, context: context) { rows in Self.dedup(rows, columns: columns) }
        case "limit":
            let rows = try RecordList.parse(reader, "data")
            try Self.requireWholeNumber(reader, "count")
            try Self.requireWholeNumber(reader, "offset")
            let count = try reader.int("count")
            let offset = try reader.int("offset", default: 0)
            return respond(method, rows: rows, context: context) { rows throws(Failure) in
                try Self.limit(rows, count: count, offset: offset)
            }
        default:
            throw UnknownMethodError(
                module: Self.moduleDescriptor.name, method: method, available: Self.moduleDescriptor.methods.map(\.name))
        }
    }

    /// The seed's failure result.
    static let failureResult: JSONValue = ["status": false, "data": [], "count": 0]

    /// Runs `transform` on non-empty data and wraps its answer in the seed's result shape.
    private func respond(
        _ method: String, rows: [JSONObject], context: StepContext,
        _ transform: ([JSONObject]) throws(Failure) -> [JSONObject]
    ) -> ModuleOutput {
        let failure: Failure
        if rows.isEmpty {
            failure = Failure("data is empty")
        } else {
            do {
                let out = try transform(rows)
                context.logger.info("\(method): \(rows.count) row(s) in, \(out.count) row(s) out")
                return .success(["status": true, "data": .array(out.map(JSONValue.object)), "count": .int(out.count)])
            } catch {
                failure = error
            }
        }
        context.logger.error("\(method): \(rows.count) row(s) in, 0 row(s) out: \(failure.message)")
        return .failure(Self.failureResult, error: failure.message)
    }

    // MARK: - dedup

    /// Keeps the first row of each distinct key, in the original order.
    static func dedup(_ rows: [JSONObject], columns: [String]?) -> [JSONObject] {
        var seen = Set<JSONValue>()
        var out: [JSONObject] = []
        for row in rows {
            let key: JSONValue
            if let columns {
                key = .array(columns.map { canonical(row[$0] ?? .null) })
            } else {
                key = canonical(.object(row))
            }
            if seen.insert(key).inserted { out.append(row) }
        }
        return out
    }

    /// A form in which loosely equal values are exactly equal: whole doubles become ints and
    /// object keys are sorted, so `{"a": 1, "b": 2.0}` and `{"b": 2, "a": 1}` share one key.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double:
            if let i = value.intValue { return .int(i) }
            return value
        case .array(let items):
            return .array(items.map(canonical))
        case .object(let object):
            var sorted = JSONObject(minimumCapacity: object.count)
            for key in object.keys.sorted() {
                if let item = object[key] { sorted[key] = canonical(item) }
            }
            return .object(sorted)
        case .null, .bool, .int, .string:
            return value
        }
    }

    // MARK: - limit

    /// `rows[offset ..< offset + count]`, clamped to the rows there are.
    static func limit(_ rows: [JSONObject], count: Int, offset: Int) throws(Failure) -> [JSONObject] {
        guard count >= 0 else { throw Failure("count: must not be negative, got \(count)") }
        guard offset >= 0 else { throw Failure("offset: must not be negative, got \(offset)") }
        let start = min(offset, rows.count)
        let end = start + min(count, rows.count - start)
        return Array(rows[start..<end])
    }

    /// Refuses a fractional or out-of-range number before ``ParameterReader/int(_:)`` would
    /// truncate it (or trap on it): `2.5` rows means nothing.
    static func requireWholeNumber(_ reader: ParameterReader, _ name: String) throws(ParameterError) {
        if let value = reader.value(name), case .double = value, value.intValue == nil {
            throw reader.mismatch(name, expected: "an integer", got: value)
        }
    }

    // MARK: - filter

    /// The conditions as objects; their fields are checked against the data later, as the seed did.
    static func conditionObjects(_ reader: ParameterReader) throws(ParameterError) -> [JSONObject] {
        let value = try reader.required("conditions")
        guard case .array(let items) = value else {
            throw reader.mismatch("conditions", expected: "an array of objects", got: value)
        }
        var out: [JSONObject] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .object(let object) = item else {
                throw reader.mismatch("conditions[\(i)]", expected: "an object", got: item)
            }
            out.append(object)
        }
        return out
    }

    /// The rows that meet every condition (AND); an empty list keeps every row.
    static func filter(_ rows: [JSONObject], conditions: [Condition]) throws(Failure) -> [JSONObject] {
        var out: [JSONObject] = []
        for (index, row) in rows.enumerated() {
            var keep = true
            // Stops at the first unmet condition, so a later one is only checked where it matters.
            for condition in conditions where keep {
                keep = try condition.matches(row, rowIndex: index)
            }
            if keep { out.append(row) }
        }
        return out
    }

    /// Why a Filter method answered the failure shape; the message names the field at fault.
    struct Failure: Error, Equatable {
        var message: String

        init(_ message: String) {
            self.message = message
        }
    }

    /// Reads a parameter that must be an array of objects (records).
    enum RecordList {
        static func parse(_ reader: ParameterReader, _ name: String) throws(ParameterError) -> [JSONObject] {
            try parse(try reader.required(name), path: name)
        }

        static func parse(_ value: JSONValue, path: String) throws(ParameterError) -> [JSONObject] {
            guard case .array(let items) = value else {
                throw ParameterError(path: path, message: "expected an array of objects, got \(ParameterReader.describe(value))")
            }
            var rows: [JSONObject] = []
            rows.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                guard case .object(let row) = item else {
                    throw ParameterError(path: "\(path)[\(i)]", message: "expected an object, got \(ParameterReader.describe(item))")
                }
                rows.append(row)
            }
            return rows
        }
    }

    /// `select`'s parameters: keep `cols`, then `rename`, then `drop`.
    struct Projection {
        var columns: [String]?
        var renames: [String: String]?
        var drops: Set<String>?

        init(_ reader: ParameterReader) throws(ParameterError) {
            columns = try reader.optionalStringList("cols")
            if let rename = try reader.optionalObject("rename") {
                var names: [String: String] = [:]
                for (from, to) in rename {
                    guard case .string(let name) = to else {
                        throw reader.mismatch("rename.\(from)", expected: "a string", got: to)
                    }
                    names[from] = name
                }
                renames = names
            }
            drops = try reader.optionalStringList("drop").map(Set.init)
        }

        func apply(_ row: JSONObject) -> JSONObject {
            var row = row
            if let columns {
                var kept = JSONObject(minimumCapacity: columns.count)
                for column in columns {
                    if let value = row[column] { kept[column] = value }
                }
                row = kept
            }
            if let renames {
                var renamed = JSONObject(minimumCapacity: row.count)
                // Like the seed's dict comprehension: a renamed key that meets an existing one keeps
                // the first position and the later value.
                for (key, value) in row {
                    renamed[renames[key] ?? key] = value
                }
                row = renamed
            }
            if let drops {
                row.removeAll { drops.contains($0.key) }
            }
            return row
        }
    }
}
