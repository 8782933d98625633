import Foundation
import WorkFlowEngine

extension FilterModule {
    /// One `{col, op, value}` condition of `filter`.
    struct Condition {
        /// The operators `filter` understands, under the seed's names.
        enum Operator: String, CaseIterable {
            case eq, ne, gt, gte, lt, lte
            case `in`
            case notIn = "not_in"
            case contains
            case notContains = "not_contains"

            static let names = allCases.map(\.rawValue).joined(separator: ", ")
        }

        /// The condition's position in `conditions`, for messages.
        var index: Int
        var column: String
        var op: Operator
        var value: JSONValue

        /// Checks every condition's fields, naming the first one at fault (`conditions[1].op: ...`).
        static func parse(_ objects: [JSONObject]) throws(Failure) -> [Condition] {
            var conditions: [Condition] = []
            conditions.reserveCapacity(objects.count)
            for (index, object) in objects.enumerated() {
                conditions.append(try Condition(object, index: index))
            }
            return conditions
        }

        init(_ object: JSONObject, index: Int) throws(Failure) {
            let path = "conditions[\(index)]"
            func field(_ name: String) throws(Failure) -> JSONValue {
                // A JSON null is a value here (`"value": null` compares with null); only absence fails.
                guard let value = object[name] else {
                    throw Failure("\(path).\(name): is required (a condition is {\"col\", \"op\", \"value\"})")
                }
                return value
            }
            let column = try field("col")
            let op = try field("op")
            let value = try field("value")

            guard case .string(let columnName) = column else {
                throw Failure("\(path).col: expected a column name, got \(ParameterReader.describe(column))")
            }
            guard case .string(let opName) = op, let parsed = Operator(rawValue: opName) else {
                let shown = op.stringValue.map { "'\($0)'" } ?? ParameterReader.describe(op)
                throw Failure("\(path).op: unsupported operator \(shown) (use \(Operator.names))")
            }
            switch parsed {
            case .in, .notIn:
                guard case .array = value else {
                    throw Failure(
                        "\(path).value: operator '\(opName)' needs an array, got \(ParameterReader.describe(value))")
                }
            case .contains, .notContains:
                guard case .string = value else {
                    throw Failure(
                        "\(path).value: operator '\(opName)' needs a string, got \(ParameterReader.describe(value))")
                }
            case .eq, .ne, .gt, .gte, .lt, .lte:
                break
            }
            self.index = index
            self.column = columnName
            self.op = parsed
            self.value = value
        }

        /// Whether `row` meets the condition; a column the row lacks reads as null, like `row.get(col)`.
        func matches(_ row: JSONObject, rowIndex: Int) throws(Failure) -> Bool {
            let actual = row[column] ?? .null
            switch op {
            case .eq:
                return actual.looselyEquals(value)
            case .ne:
                return !actual.looselyEquals(value)
            case .gt, .gte, .lt, .lte:
                guard let order = actual.compare(to: value) else {
                    throw Failure(
                        "conditions[\(index)]: cannot compare data[\(rowIndex)].\(column) (\(actual.typeName)) "
                            + "with value (\(value.typeName)) using '\(op.rawValue)'")
                }
                switch op {
                case .gt: return order == .orderedDescending
                case .gte: return order != .orderedAscending
                case .lt: return order == .orderedAscending
                default: return order != .orderedDescending
                }
            case .in, .notIn:
                let found = value.arrayValue?.contains { actual.looselyEquals($0) } ?? false
                return op == .in ? found : !found
            case .contains, .notContains:
                let found = Self.pythonContains(actual.pythonDescription, value.stringValue ?? "")
                return op == .contains ? found : !found
            }
        }

        /// Python's `needle in haystack` for strings: code points, not grapheme clusters, so `"e"` is
        /// found in a decomposed `"é"` as Python finds it; the empty string is in every string.
        static func pythonContains(_ haystack: String, _ needle: String) -> Bool {
            let hay = Array(haystack.unicodeScalars)
            let pin = Array(needle.unicodeScalars)
            guard !pin.isEmpty else { return true }
            guard pin.count <= hay.count else { return false }
            for start in 0...(hay.count - pin.count) where hay[start] == pin[0] {
                if hay[start..<(start + pin.count)].elementsEqual(pin) { return true }
            }
            return false
        }
    }
}
