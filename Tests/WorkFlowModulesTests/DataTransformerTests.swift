import Testing
import WorkFlowEngine
import WorkFlowModules

private func transform(_ method: String, _ data: JSONValue?, context: StepContext = .standalone()) async throws -> ModuleOutput {
    var params: JSONObject = [:]
    if let data { params["data"] = data }
    return try await DataTransformerModule().call(method, params: params, context: context)
}

/// The table `dicts2df` answers for `records`.
private func tableOf(_ records: JSONValue) async throws -> JSONValue {
    let output = try await transform("dicts2df", records)
    return try #require(output.result["data"])
}

/// The records `df2dicts` answers for `table`.
private func recordsOf(_ table: JSONValue) async throws -> JSONValue {
    let output = try await transform("df2dicts", table)
    return try #require(output.result["data"])
}

private let tableShape = #"(a table is {"columns": [...], "rows": [[...], ...]})"#

@Suite("common.DataTransformer")
struct DataTransformerTests {
    @Test("dicts2df makes columns from the union of keys in first-seen order, null where a record lacks one")
    func dicts2df() async throws {
        let records: JSONValue = [["a": 1, "b": "x"], ["b": "y", "c": true], ["c": false, "a": 2.5]]
        let output = try await transform("dicts2df", records)
        #expect(
            output
                == .success([
                    "status": true,
                    "data": [
                        "columns": ["a", "b", "c"],
                        "rows": [[1, "x", nil], [nil, "y", true], [2.5, nil, false]],
                    ],
                ]))
    }

    @Test("dicts2df of no records is a table with no columns and no rows")
    func dicts2dfEmpty() async throws {
        #expect(try await transform("dicts2df", []) == .success(["status": true, "data": ["columns": [], "rows": []]]))
    }

    @Test("dicts2df of empty records gives one empty row each")
    func dicts2dfEmptyRecords() async throws {
        #expect(try await tableOf([[:], [:]]) == ["columns": [], "rows": [[], []]])
    }

    @Test("df2dicts turns each row into an object keyed in column order")
    func df2dicts() async throws {
        let table: JSONValue = ["columns": ["b", "a"], "rows": [[1, nil], ["x", [1, 2]]]]
        #expect(
            try await transform("df2dicts", table)
                == .success(["status": true, "data": [["b": 1, "a": nil], ["b": "x", "a": [1, 2]]]]))
    }

    @Test("df2dicts of a table without rows gives no records")
    func df2dictsNoRows() async throws {
        #expect(try await recordsOf(["columns": ["a"], "rows": []]) == [])
    }

    @Test("df2dicts passes records through unchanged, whatever their keys")
    func df2dictsRecords() async throws {
        let records: JSONValue = [["b": 1, "a": 2], ["c": nil], [:]]
        #expect(try await transform("df2dicts", records) == .success(["status": true, "data": records]))
        #expect(try await recordsOf([]) == [])
    }

    @Test("df2dicts(dicts2df(x)) is exactly x when every record has the same keys in the same order")
    func roundTripMixedTypes() async throws {
        let records: JSONValue = [
            ["id": 1, "price": 2.5, "name": "ann", "ok": true, "note": nil, "tags": ["a", 1], "meta": ["k": 1.0, "j": [nil]]],
            ["id": 2, "price": 3, "name": "", "ok": false, "note": "n", "tags": [], "meta": [:]],
            ["id": -9_007_199_254_740_993, "price": -0.0, "name": "é\u{301}", "ok": nil, "note": 1e300, "tags": [[]], "meta": nil],
        ]
        let back = try await recordsOf(try await tableOf(records))
        #expect(back == records)
    }

    @Test("the round trip holds for generated records of every value kind")
    func roundTripProperty() async throws {
        var random = SplitMix(seed: 0x5EED)
        for _ in 0..<50 {
            // Index-prefixed names are unique; reversing now and then keeps key order from being sorted.
            var columns = (0..<random.next(below: 6)).map { "k\($0)_\(random.next(below: 100))" }
            if random.next(below: 2) == 0 { columns.reverse() }
            let records: [JSONValue] = (0..<random.next(below: 8)).map { _ in
                var record = JSONObject()
                for column in columns { record[column] = random.value(depth: 2) }
                return .object(record)
            }
            let back = try await recordsOf(try await tableOf(.array(records)))
            #expect(back == .array(records))
        }
    }

    @Test("records with differing keys come back with every column, null-filled")
    func roundTripDifferingKeys() async throws {
        let back = try await recordsOf(try await tableOf([["a": 1], ["b": 2]]))
        #expect(back == [["a": 1, "b": nil], ["a": nil, "b": 2]])
    }

    @Test("dicts2df throws a ParameterError when data is missing, not an array, or holds a non-object")
    func dicts2dfParameterErrors() async {
        await #expect(throws: ParameterError(path: "data", message: "is required")) {
            try await transform("dicts2df", nil)
        }
        await #expect(throws: ParameterError(path: "data", message: "expected an array of objects, got an object")) {
            try await transform("dicts2df", ["a": 1])
        }
        await #expect(throws: ParameterError(path: "data[2]", message: "expected an object, got an array of 1 item")) {
            try await transform("dicts2df", [["a": 1], ["a": 2], [3]])
        }
    }

    @Test("df2dicts throws a ParameterError naming what is wrong with the table")
    func df2dictsParameterErrors() async {
        let cases: [(JSONValue?, ParameterError)] = [
            (nil, ParameterError(path: "data", message: "is required")),
            (
                "table",
                ParameterError(
                    path: "data",
                    message: #"expected a table {"columns": [...], "rows": [[...], ...]} or an array of objects, got string "table""#)
            ),
            (["rows": []], ParameterError(path: "data.columns", message: "is required \(tableShape)")),
            (["columns": "a", "rows": []], ParameterError(path: "data.columns", message: "expected an array of column names, got string \"a\"")),
            (["columns": ["a", 1], "rows": []], ParameterError(path: "data.columns[1]", message: "expected a column name, got number 1")),
            (["columns": ["a", "b", "a"], "rows": []], ParameterError(path: "data.columns[2]", message: "duplicate column \"a\"")),
            (["columns": ["a"]], ParameterError(path: "data.rows", message: "is required \(tableShape)")),
            (["columns": ["a"], "rows": ["x": [1]]], ParameterError(path: "data.rows", message: "expected an array of rows, got an object")),
            (["columns": ["a"], "rows": [[1], 2]], ParameterError(path: "data.rows[1]", message: "expected an array of values, got number 2")),
            (
                ["columns": ["a", "b", "c", "d"], "rows": [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2]]],
                ParameterError(path: "data.rows[3]", message: "expected 4 values, got 2")
            ),
            (["columns": [], "rows": [[nil]]], ParameterError(path: "data.rows[0]", message: "expected 0 values, got 1")),
            ([["a": 1], "b"], ParameterError(path: "data[1]", message: "expected an object, got string \"b\"")),
        ]
        for (data, expected) in cases {
            await #expect(throws: expected) {
                try await transform("df2dicts", data)
            }
        }
    }

    @Test("an unknown method throws UnknownMethodError listing both methods")
    func unknownMethod() async {
        let error = await #expect(throws: UnknownMethodError.self) {
            try await transform("df2csv", [])
        }
        #expect(error?.description == "module common.DataTransformer has no method 'df2csv' (methods: dicts2df, df2dicts)")
    }

    @Test("both methods log what they converted at info")
    func logs() async throws {
        let context = StepContext.standalone()
        _ = try await transform("dicts2df", [["a": 1, "b": 2], ["c": 3]], context: context)
        _ = try await transform("df2dicts", ["columns": ["a"], "rows": [[1], [2], [3]]], context: context)
        #expect(
            context.logger.lines.map(\.message) == [
                "dicts2df: 2 record(s) into a table of 3 column(s)", "df2dicts: 3 record(s)",
            ])
        #expect(context.logger.lines.map(\.level) == [.info, .info])
    }

    @Test("the descriptor documents both methods, data required, and the table shape")
    func descriptor() {
        let descriptor = DataTransformerModule().descriptor
        #expect(descriptor.name == "common.DataTransformer")
        #expect(descriptor.methods.map(\.name) == ["dicts2df", "df2dicts"])
        #expect(descriptor.methods.allSatisfy { $0.parameter(named: "data")?.required == true })
        #expect(descriptor.method(named: "dicts2df")?.result == #"{"status": true, "data": {"columns": [...], "rows": [[...], ...]}}"#)
        #expect(descriptor.method(named: "df2dicts")?.parameter(named: "data")?.types == [.object, .array])
    }
}

/// A small deterministic generator (SplitMix64), so generated cases repeat run after run.
private struct SplitMix {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// A JSON value of any kind, nesting at most `depth` levels.
    mutating func value(depth: Int) -> JSONValue {
        switch next(below: depth > 0 ? 8 : 6) {
        case 0: return .null
        case 1: return .bool(next(below: 2) == 0)
        case 2: return .int(Int(truncatingIfNeeded: next()))
        case 3: return .double(Double(next(below: 1_000_000)) / 8 - 60_000)
        case 4: return .double(Double(next(below: 100)))
        case 5: return .string(String(repeating: "ab\u{e9} ", count: next(below: 3)))
        case 6: return .array((0..<next(below: 3)).map { _ in value(depth: depth - 1) })
        default:
            var object = JSONObject()
            for i in 0..<next(below: 3) { object["n\(i)"] = value(depth: depth - 1) }
            return .object(object)
        }
    }
}
