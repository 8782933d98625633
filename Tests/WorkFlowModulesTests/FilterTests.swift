import Testing
import WorkFlowEngine
import WorkFlowModules

private func filterCall(_ method: String, _ params: JSONObject, context: StepContext = .standalone()) async throws
    -> ModuleOutput
{
    try await FilterModule().call(method, params: params, context: context)
}

/// The success shape with `rows` as data.
private func kept(_ rows: [JSONValue]) -> ModuleOutput {
    .success(["status": true, "data": .array(rows), "count": .int(rows.count)])
}

/// The seed's failure shape with `message` as the error.
private func failed(_ message: String) -> ModuleOutput {
    .failure(["status": false, "data": [], "count": 0], error: message)
}

private let ann: JSONValue = ["name": "ann", "age": 31, "city": "Oslo"]
private let bob: JSONValue = ["name": "bob", "age": 25, "city": "Rome"]
private let cy: JSONValue = ["name": "cy", "age": 40.5, "city": nil]
private let dee: JSONValue = ["name": "dee"]
/// Four people: an int age, another int age, a double age with a null city, no age or city at all.
private let people: JSONValue = [ann, bob, cy, dee]

private let operatorList = "eq, ne, gt, gte, lt, lte, in, not_in, contains, not_contains"

private func condition(_ col: JSONValue, _ op: JSONValue, _ value: JSONValue) -> JSONValue {
    ["col": col, "op": op, "value": value]
}

@Suite("common.Filter: data, dispatch and logging")
struct FilterTests {
    /// Each method with the minimum it needs besides `data`.
    static let methods: [(String, JSONObject)] = [
        ("filter", ["conditions": []]),
        ("select", [:]),
        ("sort", ["by": "age"]),
        ("dedup", [:]),
        ("limit", ["count": 1]),
    ]

    @Test("every method throws a ParameterError when data is missing", arguments: methods)
    func missingData(method: String, params: JSONObject) async {
        await #expect(throws: ParameterError(path: "data", message: "is required")) {
            try await filterCall(method, params)
        }
    }

    @Test("every method throws a ParameterError when data is not an array", arguments: methods)
    func dataNotArray(method: String, params: JSONObject) async {
        var params = params
        params["data"] = ["name": "ann"]
        await #expect(throws: ParameterError(path: "data", message: "expected an array of objects, got an object")) {
            try await filterCall(method, params)
        }
        params["data"] = nil
        params["data"] = .null
        await #expect(throws: ParameterError(path: "data", message: "expected an array of objects, got null")) {
            try await filterCall(method, params)
        }
    }

    @Test("every method names the item of data that is not an object", arguments: methods)
    func itemNotObject(method: String, params: JSONObject) async {
        var params = params
        params["data"] = [ann, 2, bob]
        await #expect(throws: ParameterError(path: "data[1]", message: "expected an object, got number 2")) {
            try await filterCall(method, params)
        }
    }

    @Test("every method answers the failure shape for empty data", arguments: methods)
    func emptyData(method: String, params: JSONObject) async throws {
        var params = params
        params["data"] = []
        #expect(try await filterCall(method, params) == failed("data is empty"))
    }

    @Test("an unknown method throws UnknownMethodError listing the five methods")
    func unknownMethod() async {
        let error = await #expect(throws: UnknownMethodError.self) {
            try await filterCall("group", ["data": people])
        }
        #expect(error?.description == "module common.Filter has no method 'group' (methods: filter, select, sort, dedup, limit)")
    }

    @Test("a method logs the rows in and out at info")
    func logsRowCounts() async throws {
        let context = StepContext.standalone()
        _ = try await filterCall("limit", ["data": people, "count": 3], context: context)
        #expect(context.logger.lines.map(\.message) == ["limit: 4 row(s) in, 3 row(s) out"])
        #expect(context.logger.lines.map(\.level) == [.info])
    }

    @Test("a failure is logged at error with its reason")
    func logsFailure() async throws {
        let context = StepContext.standalone()
        _ = try await filterCall("limit", ["data": people, "count": -1], context: context)
        #expect(context.logger.lines.map(\.message) == ["limit: 4 row(s) in, 0 row(s) out: count: must not be negative, got -1"])
        #expect(context.logger.lines.map(\.level) == [.error])
    }

    @Test("the descriptor lists every method with data required and the seed's result shape")
    func descriptor() throws {
        let descriptor = FilterModule().descriptor
        #expect(descriptor.name == "common.Filter")
        #expect(descriptor.methods.map(\.name) == ["filter", "select", "sort", "dedup", "limit"])
        for method in descriptor.methods {
            #expect(method.parameter(named: "data")?.required == true)
            #expect(method.result == #"{"status": true, "data": [...], "count": N}"#)
        }
        let required = descriptor.methods.map { $0.parameters.filter(\.required).map(\.name) }
        #expect(required == [["data", "conditions"], ["data"], ["data", "by"], ["data"], ["data", "count"]])
        let limit = try #require(descriptor.method(named: "limit"))
        #expect(limit.parameter(named: "offset")?.defaultValue == 0)
        #expect(descriptor.method(named: "sort")?.parameter(named: "ascending")?.defaultValue == true)
    }
}

extension FilterTests {
    @Suite("common.Filter.filter")
    struct Conditions {
        private func run(_ conditions: JSONValue, data: JSONValue = people) async throws -> ModuleOutput {
            try await filterCall("filter", ["data": data, "conditions": conditions])
        }

        @Test("eq keeps rows whose value loosely equals: 31.0 matches 31, \"25\" matches nothing")
        func eq() async throws {
            #expect(try await run([condition("age", "eq", 25)]) == kept([bob]))
            #expect(try await run([condition("age", "eq", 31.0)]) == kept([ann]))
            #expect(try await run([condition("age", "eq", "25")]) == kept([]))
            #expect(try await run([condition("city", "eq", nil)]) == kept([cy, dee]))
        }

        @Test("ne keeps every row that is not loosely equal, including rows lacking the column")
        func ne() async throws {
            #expect(try await run([condition("age", "ne", 25.0)]) == kept([ann, cy, dee]))
            #expect(try await run([condition("age", "ne", "25")]) == kept([ann, bob, cy, dee]))
        }

        @Test("gt, gte, lt and lte compare numbers by value, ints and doubles alike")
        func numericComparisons() async throws {
            let data: JSONValue = [["n": 1], ["n": 2.5], ["n": 3]]
            #expect(try await run([condition("n", "gt", 2)], data: data) == kept([["n": 2.5], ["n": 3]]))
            #expect(try await run([condition("n", "gt", 2.5)], data: data) == kept([["n": 3]]))
            #expect(try await run([condition("n", "gte", 2.5)], data: data) == kept([["n": 2.5], ["n": 3]]))
            #expect(try await run([condition("n", "lt", 2.5)], data: data) == kept([["n": 1]]))
            #expect(try await run([condition("n", "lte", 2.5)], data: data) == kept([["n": 1], ["n": 2.5]]))
            #expect(try await run([condition("n", "lte", 3.0)], data: data) == kept([["n": 1], ["n": 2.5], ["n": 3]]))
        }

        @Test("gt, gte, lt and lte compare strings lexicographically")
        func stringComparisons() async throws {
            #expect(try await run([condition("name", "gt", "b")]) == kept([bob, cy, dee]))
            #expect(try await run([condition("name", "gte", "bob")]) == kept([bob, cy, dee]))
            #expect(try await run([condition("name", "lt", "bob")]) == kept([ann]))
            #expect(try await run([condition("name", "lte", "bob")]) == kept([ann, bob]))
        }

        @Test("comparing with a row's null fails naming the condition, the row and both types")
        func comparingNull() async throws {
            #expect(
                try await run([condition("age", "gt", 30)])
                    == failed("conditions[0]: cannot compare data[3].age (null) with value (number) using 'gt'"))
            #expect(
                try await run([condition("city", "lte", "Z")])
                    == failed("conditions[0]: cannot compare data[2].city (null) with value (string) using 'lte'"))
        }

        @Test("comparing mismatched types fails as Python's TypeError did")
        func comparingMismatchedTypes() async throws {
            #expect(
                try await run([condition("name", "gte", 5)])
                    == failed("conditions[0]: cannot compare data[0].name (string) with value (number) using 'gte'"))
            #expect(
                try await run([condition("age", "lt", nil)])
                    == failed("conditions[0]: cannot compare data[0].age (number) with value (null) using 'lt'"))
        }

        @Test("conditions are ANDed and a row stops at its first unmet condition")
        func andLogic() async throws {
            // dee lacks age, but never reaches the comparison because her name already fails.
            let conditions: JSONValue = [condition("name", "ne", "dee"), condition("age", "gt", 26)]
            #expect(try await run(conditions) == kept([ann, cy]))
            let three: JSONValue = [condition("age", "gte", 25), condition("age", "lt", 40), condition("city", "ne", "Rome")]
            #expect(try await run(three, data: [ann, bob, cy]) == kept([ann]))
        }

        @Test("no conditions keep every row")
        func noConditions() async throws {
            #expect(try await run([]) == kept([ann, bob, cy, dee]))
        }

        @Test("in and not_in test membership with loose equality")
        func membership() async throws {
            #expect(try await run([condition("city", "in", ["Oslo", "Rome"])]) == kept([ann, bob]))
            #expect(try await run([condition("age", "in", [25.0, 40.5])]) == kept([bob, cy]))
            #expect(try await run([condition("city", "in", [nil])]) == kept([cy, dee]))
            #expect(try await run([condition("city", "in", [])]) == kept([]))
            #expect(try await run([condition("city", "not_in", ["Oslo"])]) == kept([bob, cy, dee]))
            #expect(try await run([condition("age", "not_in", [31, "25"])]) == kept([bob, cy, dee]))
        }

        @Test("in and not_in need an array value")
        func membershipNeedsArray() async throws {
            #expect(
                try await run([condition("city", "in", "Oslo")])
                    == failed("conditions[0].value: operator 'in' needs an array, got string \"Oslo\""))
            #expect(
                try await run([condition("city", "not_in", nil)])
                    == failed("conditions[0].value: operator 'not_in' needs an array, got null"))
        }

        @Test("contains finds the value inside the row value as Python's str() writes it")
        func contains() async throws {
            #expect(try await run([condition("name", "contains", "o")]) == kept([bob]))
            // 25 and 40.5 both read "5" in their text; a null reads "None".
            #expect(try await run([condition("age", "contains", "5")]) == kept([bob, cy]))
            #expect(try await run([condition("city", "contains", "None")]) == kept([cy, dee]))
            #expect(try await run([condition("name", "contains", "")]) == kept([ann, bob, cy, dee]))
            let flags: JSONValue = [["f": true], ["f": false], ["f": ["x", 1]]]
            #expect(try await run([condition("f", "contains", "True")], data: flags) == kept([["f": true]]))
            #expect(try await run([condition("f", "contains", "['x'")], data: flags) == kept([["f": ["x", 1]]]))
        }

        @Test("contains matches code points like Python, so a decomposed é contains e")
        func containsCodePoints() async throws {
            let data: JSONValue = [["w": "cafe\u{301}"], ["w": "tea"]]
            #expect(try await run([condition("w", "contains", "e")], data: data) == kept([["w": "cafe\u{301}"], ["w": "tea"]]))
            #expect(try await run([condition("w", "contains", "fe")], data: data) == kept([["w": "cafe\u{301}"]]))
            #expect(try await run([condition("w", "contains", "teas")], data: data) == kept([]))
        }

        @Test("not_contains keeps the rows contains drops")
        func notContains() async throws {
            #expect(try await run([condition("name", "not_contains", "n")]) == kept([bob, cy, dee]))
            #expect(try await run([condition("age", "not_contains", "5")]) == kept([ann, dee]))
        }

        @Test("contains and not_contains need a string value")
        func containsNeedsString() async throws {
            #expect(
                try await run([condition("age", "contains", 5)])
                    == failed("conditions[0].value: operator 'contains' needs a string, got number 5"))
            #expect(
                try await run([condition("age", "not_contains", ["5"])])
                    == failed("conditions[0].value: operator 'not_contains' needs a string, got an array of 1 item"))
        }

        @Test("an unknown operator fails naming the condition and listing the valid ones")
        func unknownOperator() async throws {
            #expect(
                try await run([condition("name", "eq", "ann"), condition("name", "like", "a%")])
                    == failed("conditions[1].op: unsupported operator 'like' (use \(operatorList))"))
            #expect(
                try await run([condition("name", 3, "ann")])
                    == failed("conditions[0].op: unsupported operator number 3 (use \(operatorList))"))
        }

        @Test("every condition is checked before any row, even one no row would reach")
        func conditionsCheckedUpFront() async throws {
            let conditions: JSONValue = [condition("name", "eq", "nobody"), condition("age", "between", [1, 2])]
            #expect(try await run(conditions) == failed("conditions[1].op: unsupported operator 'between' (use \(operatorList))"))
        }

        @Test("a condition lacking col, op or value fails naming the field", arguments: ["col", "op", "value"])
        func missingField(field: String) async throws {
            guard case .object(var object) = condition("age", "eq", 1) else { return }
            object[field] = nil
            #expect(
                try await run([condition("age", "ne", 0), .object(object)])
                    == failed("conditions[1].\(field): is required (a condition is {\"col\", \"op\", \"value\"})"))
        }

        @Test("a column name that is not a string fails")
        func columnNotString() async throws {
            #expect(
                try await run([condition(1, "eq", 1)]) == failed("conditions[0].col: expected a column name, got number 1"))
        }

        @Test("missing conditions throw a ParameterError, as the seed's KeyError did")
        func missingConditions() async {
            await #expect(throws: ParameterError(path: "conditions", message: "is required")) {
                try await filterCall("filter", ["data": people])
            }
        }

        @Test("conditions that are not an array of objects throw a ParameterError naming the item")
        func conditionsShape() async {
            await #expect(throws: ParameterError(path: "conditions", message: "expected an array of objects, got string \"age > 3\"")) {
                try await filterCall("filter", ["data": people, "conditions": "age > 3"])
            }
            await #expect(throws: ParameterError(path: "conditions[1]", message: "expected an object, got number 3")) {
                try await filterCall("filter", ["data": people, "conditions": [condition("age", "eq", 1), 3]])
            }
        }
    }
}

extension FilterTests {
    @Suite("common.Filter.select")
    struct Select {
        private func run(_ params: JSONObject, data: JSONValue = people) async throws -> ModuleOutput {
            var params = params
            params["data"] = data
            return try await filterCall("select", params)
        }

        @Test("cols keeps those keys in the given order and skips absent ones")
        func cols() async throws {
            #expect(
                try await run(["cols": ["city", "name", "zip"]])
                    == kept([
                        ["city": "Oslo", "name": "ann"], ["city": "Rome", "name": "bob"], ["city": nil, "name": "cy"], ["name": "dee"],
                    ]))
        }

        @Test("cols accepts a single column name")
        func colsSingleName() async throws {
            #expect(try await run(["cols": "name"]) == kept([["name": "ann"], ["name": "bob"], ["name": "cy"], ["name": "dee"]]))
        }

        @Test("rename keeps each key's position")
        func rename() async throws {
            #expect(
                try await run(["rename": ["age": "years", "zip": "postcode"]], data: [ann, dee])
                    == kept([["name": "ann", "years": 31, "city": "Oslo"], ["name": "dee"]]))
        }

        @Test("rename onto an existing key keeps the first position and the later value, like a dict comprehension")
        func renameCollision() async throws {
            #expect(try await run(["rename": ["a": "b"]], data: [["a": 1, "b": 2, "c": 3]]) == kept([["b": 2, "c": 3]]))
            #expect(try await run(["rename": ["a": "b", "b": "a"]], data: [["a": 1, "b": 2]]) == kept([["b": 1, "a": 2]]))
        }

        @Test("drop removes the keys")
        func drop() async throws {
            #expect(
                try await run(["drop": ["age", "zip"]], data: [ann, dee]) == kept([["name": "ann", "city": "Oslo"], ["name": "dee"]]))
            #expect(try await run(["drop": "city"], data: [bob]) == kept([["name": "bob", "age": 25]]))
        }

        @Test("unlike the seed, cols, rename and drop all apply, in that order")
        func allThreeInOrder() async throws {
            let params: JSONObject = ["cols": ["age", "name", "city"], "rename": ["name": "who"], "drop": ["city"]]
            #expect(try await run(params, data: [ann, bob]) == kept([["age": 31, "who": "ann"], ["age": 25, "who": "bob"]]))
            // drop sees the renamed keys: the old name is gone, the new one can be dropped.
            #expect(try await run(["rename": ["name": "who"], "drop": ["name"]], data: [bob]) == kept([["who": "bob", "age": 25, "city": "Rome"]]))
            #expect(try await run(["rename": ["name": "who"], "drop": ["who"]], data: [bob]) == kept([["age": 25, "city": "Rome"]]))
            // rename sees only the kept columns.
            #expect(try await run(["cols": ["name"], "rename": ["age": "years"]], data: [bob]) == kept([["name": "bob"]]))
        }

        @Test("no operation returns the data unchanged")
        func nothingGiven() async throws {
            #expect(try await run([:]) == kept([ann, bob, cy, dee]))
            #expect(try await run(["cols": nil, "rename": nil, "drop": nil]) == kept([ann, bob, cy, dee]))
        }

        @Test("mistyped cols, rename or drop throw a ParameterError naming the entry")
        func mistyped() async {
            await #expect(throws: ParameterError(path: "cols[1]", message: "expected a string, got number 3")) {
                try await run(["cols": ["name", 3]])
            }
            await #expect(throws: ParameterError(path: "rename", message: "expected an object, got an array of 1 item")) {
                try await run(["rename": ["name"]])
            }
            await #expect(throws: ParameterError(path: "rename.age", message: "expected a string, got number 1")) {
                try await run(["rename": ["name": "who", "age": 1]])
            }
            await #expect(throws: ParameterError(path: "drop", message: "expected an array of strings, got boolean true")) {
                try await run(["drop": true])
            }
        }
    }
}

extension FilterTests {
    @Suite("common.Filter.sort")
    struct Sort {
        private func run(_ params: JSONObject, data: JSONValue) async throws -> ModuleOutput {
            var params = params
            params["data"] = data
            return try await filterCall("sort", params)
        }

        @Test("sorts ascending by default and ints stay ints")
        func ascendingKeepsInts() async throws {
            let output = try await run(["by": "n"], data: [["n": 3], ["n": 1], ["n": 2]])
            #expect(output == kept([["n": 1], ["n": 2], ["n": 3]]))
            #expect(output.result["data"]?.arrayValue?.first?["n"] == .int(1))
        }

        @Test("ascending false sorts descending")
        func descending() async throws {
            #expect(try await run(["by": "n", "ascending": false], data: [["n": 3], ["n": 1], ["n": 2]]) == kept([["n": 3], ["n": 2], ["n": 1]]))
            #expect(try await run(["by": ["n"], "ascending": [false]], data: [["n": 1], ["n": 2]]) == kept([["n": 2], ["n": 1]]))
        }

        @Test("ints and doubles sort together by value and keep their kinds")
        func mixedNumbers() async throws {
            #expect(try await run(["by": "n"], data: [["n": 2], ["n": 1.5], ["n": 3], ["n": -0.5]]) == kept([["n": -0.5], ["n": 1.5], ["n": 2], ["n": 3]]))
        }

        @Test("strings sort lexicographically and booleans false first")
        func stringsAndBooleans() async throws {
            #expect(try await run(["by": "s"], data: [["s": "b"], ["s": "B"], ["s": "a"]]) == kept([["s": "B"], ["s": "a"], ["s": "b"]]))
            #expect(try await run(["by": "f"], data: [["f": true], ["f": false]]) == kept([["f": false], ["f": true]]))
        }

        @Test("missing keys and nulls sort last in both directions and stay as they were")
        func nullsLast() async throws {
            let data: JSONValue = [["id": 1, "n": 2], ["id": 2], ["id": 3, "n": nil], ["id": 4, "n": 1]]
            #expect(
                try await run(["by": "n"], data: data)
                    == kept([["id": 4, "n": 1], ["id": 1, "n": 2], ["id": 2], ["id": 3, "n": nil]]))
            #expect(
                try await run(["by": "n", "ascending": false], data: data)
                    == kept([["id": 1, "n": 2], ["id": 4, "n": 1], ["id": 2], ["id": 3, "n": nil]]))
        }

        @Test("a column holding only nulls leaves the order as it was")
        func allNull() async throws {
            let data: JSONValue = [["id": 1, "n": nil], ["id": 2], ["id": 3, "n": nil]]
            #expect(try await run(["by": "n"], data: data) == kept([["id": 1, "n": nil], ["id": 2], ["id": 3, "n": nil]]))
        }

        @Test("several keys sort in priority order, each in its own direction")
        func multiKey() async throws {
            let data: JSONValue = [
                ["dept": "ops", "pay": 10], ["dept": "dev", "pay": 20], ["dept": "ops", "pay": 30], ["dept": "dev", "pay": 5],
                ["dept": "dev"],
            ]
            #expect(
                try await run(["by": ["dept", "pay"], "ascending": [true, false]], data: data)
                    == kept([
                        ["dept": "dev", "pay": 20], ["dept": "dev", "pay": 5], ["dept": "dev"], ["dept": "ops", "pay": 30],
                        ["dept": "ops", "pay": 10],
                    ]))
            #expect(
                try await run(["by": ["dept", "pay"], "ascending": [false, true]], data: data)
                    == kept([
                        ["dept": "ops", "pay": 10], ["dept": "ops", "pay": 30], ["dept": "dev", "pay": 5], ["dept": "dev", "pay": 20],
                        ["dept": "dev"],
                    ]))
        }

        @Test("one ascending flag applies to every key")
        func oneFlagForAll() async throws {
            let data: JSONValue = [["a": 1, "b": 1], ["a": 2, "b": 1], ["a": 1, "b": 2]]
            #expect(
                try await run(["by": ["a", "b"], "ascending": false], data: data)
                    == kept([["a": 2, "b": 1], ["a": 1, "b": 2], ["a": 1, "b": 1]]))
        }

        @Test("rows that tie keep their original order in both directions")
        func stable() async throws {
            let rows: [JSONValue] = (0..<30).map { ["id": .int($0), "k": .int($0 % 3)] }
            for ascending in [true, false] {
                let output = try await run(["by": "k", "ascending": .bool(ascending)], data: .array(rows))
                let sorted = try #require(output.result["data"]?.arrayValue)
                let keys = sorted.compactMap { $0["k"]?.intValue }
                #expect(keys == (ascending ? [0, 1, 2] : [2, 1, 0]).flatMap { Array(repeating: $0, count: 10) })
                for k in 0..<3 {
                    let ids = sorted.filter { $0["k"] == .int(k) }.compactMap { $0["id"]?.intValue }
                    #expect(ids == Array(stride(from: k, to: 30, by: 3)))
                }
            }
        }

        @Test("an ascending list whose length differs from by fails")
        func ascendingLength() async throws {
            #expect(
                try await run(["by": ["a", "b"], "ascending": [true]], data: [["a": 1, "b": 2]])
                    == failed("ascending: expected 2 boolean(s), one per column in by, got 1"))
            #expect(
                try await run(["by": "a", "ascending": [true, false]], data: [["a": 1]])
                    == failed("ascending: expected 1 boolean(s), one per column in by, got 2"))
        }

        @Test("values that cannot be ordered together fail naming the column and the rows")
        func incomparable() async throws {
            #expect(
                try await run(["by": "n"], data: [["n": 1], ["n": nil], ["n": "2"]])
                    == failed("by: column 'n' cannot be sorted: data[0] holds a number and data[2] a string"))
            #expect(
                try await run(["by": "n"], data: [["n": true], ["n": 0]])
                    == failed("by: column 'n' cannot be sorted: data[0] holds a boolean and data[1] a number"))
            #expect(
                try await run(["by": "n"], data: [["n": 1], ["n": [1, 2]]])
                    == failed("by: column 'n' cannot be sorted: data[1] holds an array of 2 items"))
            #expect(
                try await run(["by": ["a", "n"]], data: [["a": 1, "n": ["x": 1]]])
                    == failed("by: column 'n' cannot be sorted: data[0] holds an object"))
        }

        @Test("a column that no row has fails, as pandas' KeyError did")
        func unknownColumn() async throws {
            #expect(try await run(["by": "zzz"], data: [["n": 1]]) == failed("by: column 'zzz' is not in any row"))
        }

        @Test("a missing or mistyped by throws a ParameterError")
        func byShape() async {
            let data: JSONValue = [["n": 1]]
            await #expect(throws: ParameterError(path: "by", message: "is required")) {
                try await run([:], data: data)
            }
            await #expect(
                throws: ParameterError(path: "by", message: "expected a column name or a non-empty array of column names, got number 1")
            ) {
                try await run(["by": 1], data: data)
            }
            await #expect(
                throws: ParameterError(
                    path: "by", message: "expected a column name or a non-empty array of column names, got an array of 0 items")
            ) {
                try await run(["by": []], data: data)
            }
            await #expect(throws: ParameterError(path: "by[1]", message: "expected a column name, got number 1")) {
                try await run(["by": ["n", 1]], data: data)
            }
        }

        @Test("a mistyped ascending throws a ParameterError")
        func ascendingShape() async {
            let data: JSONValue = [["n": 1]]
            await #expect(throws: ParameterError(path: "ascending", message: "expected a boolean, got string \"maybe\"")) {
                try await run(["by": "n", "ascending": "maybe"], data: data)
            }
            await #expect(throws: ParameterError(path: "ascending[1]", message: "expected a boolean, got string \"x\"")) {
                try await run(["by": ["n", "m"], "ascending": [true, "x"]], data: data)
            }
        }
    }
}

extension FilterTests {
    @Suite("common.Filter.dedup")
    struct Dedup {
        private func run(_ params: JSONObject, data: JSONValue) async throws -> ModuleOutput {
            var params = params
            params["data"] = data
            return try await filterCall("dedup", params)
        }

        @Test("without cols, whole rows compare regardless of key order and 1 equals 1.0; the first is kept")
        func wholeRow() async throws {
            let data: JSONValue = [
                ["a": 1, "b": "x"], ["a": 2, "b": "x"], ["b": "x", "a": 1.0], ["a": 1, "b": "x", "c": nil], ["a": 2, "b": "x"],
            ]
            #expect(try await run([:], data: data) == kept([["a": 1, "b": "x"], ["a": 2, "b": "x"], ["a": 1, "b": "x", "c": nil]]))
        }

        @Test("nested arrays and objects dedup by value, which the seed could not hash")
        func nested() async throws {
            let data: JSONValue = [
                ["t": ["x": [1, 2], "y": nil]], ["t": ["y": nil, "x": [1.0, 2]]], ["t": ["x": [2, 1], "y": nil]],
            ]
            #expect(try await run([:], data: data) == kept([["t": ["x": [1, 2], "y": nil]], ["t": ["x": [2, 1], "y": nil]]]))
        }

        @Test("values of different kinds stay distinct: 1, \"1\" and true")
        func distinctKinds() async throws {
            let data: JSONValue = [["a": 1], ["a": "1"], ["a": true], ["a": 1.5], ["a": nil]]
            #expect(try await run([:], data: data) == kept([["a": 1], ["a": "1"], ["a": true], ["a": 1.5], ["a": nil]]))
        }

        @Test("with cols, only those columns make the key and an absent column equals null")
        func byColumns() async throws {
            let data: JSONValue = [
                ["id": 1, "city": "Oslo", "team": "a"], ["id": 2, "city": "Oslo", "team": "b"], ["id": 3, "city": "Oslo", "team": "a"],
                ["id": 4, "team": "a"], ["id": 5, "city": nil, "team": "a"], ["id": 6, "city": "Rome", "team": "a"],
            ]
            #expect(
                try await run(["cols": ["city", "team"]], data: data)
                    == kept([
                        ["id": 1, "city": "Oslo", "team": "a"], ["id": 2, "city": "Oslo", "team": "b"], ["id": 4, "team": "a"],
                        ["id": 6, "city": "Rome", "team": "a"],
                    ]))
            #expect(
                try await run(["cols": "city"], data: data)
                    == kept([["id": 1, "city": "Oslo", "team": "a"], ["id": 4, "team": "a"], ["id": 6, "city": "Rome", "team": "a"]]))
        }

        @Test("rows without duplicates come back unchanged")
        func noDuplicates() async throws {
            #expect(try await run([:], data: people) == kept([ann, bob, cy, dee]))
        }

        @Test("mistyped cols throw a ParameterError")
        func colsShape() async {
            await #expect(throws: ParameterError(path: "cols", message: "expected an array of strings, got number 1")) {
                try await run(["cols": 1], data: people)
            }
        }
    }
}

extension FilterTests {
    @Suite("common.Filter.limit")
    struct Limit {
        private let rows: [JSONValue] = (0..<5).map { ["i": .int($0)] }

        private func run(_ params: JSONObject) async throws -> ModuleOutput {
            var params = params
            params["data"] = .array(rows)
            return try await filterCall("limit", params)
        }

        @Test("count rows from offset, which defaults to 0")
        func window() async throws {
            #expect(try await run(["count": 2]) == kept(Array(rows[0..<2])))
            #expect(try await run(["count": 2, "offset": 1]) == kept(Array(rows[1..<3])))
            #expect(try await run(["count": 2, "offset": nil]) == kept(Array(rows[0..<2])))
        }

        @Test("the window is clamped to the rows there are")
        func clamped() async throws {
            #expect(try await run(["count": 10]) == kept(rows))
            #expect(try await run(["count": 3, "offset": 4]) == kept([rows[4]]))
            #expect(try await run(["count": 3, "offset": 5]) == kept([]))
            #expect(try await run(["count": 0]) == kept([]))
        }

        @Test("huge counts and offsets neither overflow nor trap")
        func huge() async throws {
            #expect(try await run(["count": .int(Int.max), "offset": 2]) == kept(Array(rows[2...])))
            #expect(try await run(["count": .int(Int.max), "offset": .int(Int.max)]) == kept([]))
        }

        @Test("whole doubles and numeric strings count as integers")
        func lenientIntegers() async throws {
            #expect(try await run(["count": 2.0, "offset": "1"]) == kept(Array(rows[1..<3])))
        }

        @Test("a negative count or offset fails instead of slicing from the end")
        func negative() async throws {
            #expect(try await run(["count": -1]) == failed("count: must not be negative, got -1"))
            #expect(try await run(["count": 2, "offset": -2]) == failed("offset: must not be negative, got -2"))
        }

        @Test("a missing or non-integer count throws a ParameterError")
        func countShape() async {
            await #expect(throws: ParameterError(path: "count", message: "is required")) {
                try await run([:])
            }
            await #expect(throws: ParameterError(path: "count", message: "expected an integer, got null")) {
                try await run(["count": nil])
            }
            await #expect(throws: ParameterError(path: "count", message: "expected an integer, got number 2.5")) {
                try await run(["count": 2.5])
            }
            await #expect(throws: ParameterError(path: "count", message: "expected an integer, got number 1e+300")) {
                try await run(["count": 1e300])
            }
            await #expect(throws: ParameterError(path: "offset", message: "expected an integer, got string \"first\"")) {
                try await run(["count": 1, "offset": "first"])
            }
            await #expect(throws: ParameterError(path: "offset", message: "expected an integer, got number -1e+300")) {
                try await run(["count": 1, "offset": -1e300])
            }
        }
    }
}
