import WorkFlowEngine

/// `common.DataTransformer`: converts records to a table and back.
///
/// The seed built a pandas DataFrame. Here a table is plain JSON that round-trips exactly:
/// `{"columns": ["a", "b"], "rows": [[1, "x"], [2, null]]}`. Columns are the union of the
/// records' keys in order of first appearance; a record lacking a key gets null there.
/// `df2dicts(dicts2df(x)) == x` whenever every record of `x` has the same keys in the same order.
///
/// Like the seed (which had no error handling), bad input throws and fails the step.
public struct DataTransformerModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        switch method {
        case "dicts2df":
            let records = try FilterModule.RecordList.parse(reader, "data")
            let table = Self.table(from: records)
            context.logger.info("dicts2df: \(records.count) record(s) into a table of \(table.columns.count) column(s)")
            return .success(["status": true, "data": table.json])
        case "df2dicts":
            let data = try reader.required("data")
            let records: [JSONValue]
            switch data {
            case .array:
                // Already records, as the seed's callers sometimes passed them.
                records = try FilterModule.RecordList.parse(data, path: "data").map(JSONValue.object)
            case .object(let object):
                records = try Table(object, path: "data").records.map(JSONValue.object)
            default:
                throw reader.mismatch(
                    "data", expected: #"a table {"columns": [...], "rows": [[...], ...]} or an array of objects"#, got: data)
            }
            context.logger.info("df2dicts: \(records.count) record(s)")
            return .success(["status": true, "data": .array(records)])
        default:
            throw UnknownMethodError(
                module: Self.moduleDescriptor.name, method: method, available: Self.moduleDescriptor.methods.map(\.name))
        }
    }

    /// Records as a table: columns in order of first appearance, null where a record lacks one.
    static func table(from records: [JSONObject]) -> Table {
        var columns: [String] = []
        var seen = Set<String>()
        for record in records {
            for key in record.keys where seen.insert(key).inserted {
                columns.append(key)
            }
        }
        let rows = records.map { record in columns.map { record[$0] ?? .null } }
        return Table(columns: columns, rows: rows)
    }

    static let moduleDescriptor = ModuleDescriptor(
        name: "common.DataTransformer",
        doc: #"Converts records to a table {"columns": [...], "rows": [[...], ...]} and back."#,
        methods: [
            MethodDescriptor(
                "dicts2df",
                doc: "Turns an array of objects into a table; a record lacking a column gets null.",
                parameters: [ParameterDescriptor("data", .array, required: true, doc: "The records: an array of objects.")],
                result: #"{"status": true, "data": {"columns": [...], "rows": [[...], ...]}}"#),
            MethodDescriptor(
                "df2dicts",
                doc: "Turns a table into an array of objects, keys in column order; records pass through unchanged.",
                parameters: [
                    ParameterDescriptor(
                        "data", [.object, .array], required: true,
                        doc: #"A table {"columns": [...], "rows": [[...], ...]}, or an array of objects."#)
                ],
                result: #"{"status": true, "data": [{...}, ...]}"#),
        ])
}

extension DataTransformerModule {
    /// The JSON table that stands in for the seed's DataFrame.
    struct Table: Equatable {
        var columns: [String]
        var rows: [[JSONValue]]

        init(columns: [String], rows: [[JSONValue]]) {
            self.columns = columns
            self.rows = rows
        }

        /// Reads and checks a table: unique string columns, and rows of exactly one value per column.
        init(_ object: JSONObject, path: String) throws(ParameterError) {
            let shape = #"(a table is {"columns": [...], "rows": [[...], ...]})"#
            guard let columnsValue = object["columns"] else {
                throw ParameterError(path: "\(path).columns", message: "is required \(shape)")
            }
            guard case .array(let columnItems) = columnsValue else {
                throw ParameterError(
                    path: "\(path).columns",
                    message: "expected an array of column names, got \(ParameterReader.describe(columnsValue))")
            }
            var columns: [String] = []
            var seen = Set<String>()
            for (i, item) in columnItems.enumerated() {
                guard case .string(let name) = item else {
                    throw ParameterError(
                        path: "\(path).columns[\(i)]", message: "expected a column name, got \(ParameterReader.describe(item))")
                }
                guard seen.insert(name).inserted else {
                    throw ParameterError(path: "\(path).columns[\(i)]", message: "duplicate column \"\(name)\"")
                }
                columns.append(name)
            }

            guard let rowsValue = object["rows"] else {
                throw ParameterError(path: "\(path).rows", message: "is required \(shape)")
            }
            guard case .array(let rowItems) = rowsValue else {
                throw ParameterError(
                    path: "\(path).rows", message: "expected an array of rows, got \(ParameterReader.describe(rowsValue))")
            }
            var rows: [[JSONValue]] = []
            rows.reserveCapacity(rowItems.count)
            for (i, item) in rowItems.enumerated() {
                guard case .array(let values) = item else {
                    throw ParameterError(
                        path: "\(path).rows[\(i)]", message: "expected an array of values, got \(ParameterReader.describe(item))")
                }
                guard values.count == columns.count else {
                    throw ParameterError(
                        path: "\(path).rows[\(i)]", message: "expected \(columns.count) values, got \(values.count)")
                }
                rows.append(values)
            }
            self.columns = columns
            self.rows = rows
        }

        var json: JSONValue {
            ["columns": .array(columns.map(JSONValue.string)), "rows": .array(rows.map(JSONValue.array))]
        }

        /// One object per row, keys in column order.
        var records: [JSONObject] {
            rows.map { values in
                var record = JSONObject(minimumCapacity: columns.count)
                for (column, value) in zip(columns, values) { record[column] = value }
                return record
            }
        }
    }
}
