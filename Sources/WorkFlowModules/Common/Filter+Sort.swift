import Foundation
import WorkFlowEngine

extension FilterModule {
    /// `sort`'s parameters and the sort itself: stable, multi-key, nulls last.
    struct SortRequest {
        var columns: [String]
        var ascending: Directions

        /// `ascending` as given: one flag for every column, or a list with one per column.
        enum Directions {
            case all(Bool)
            case perColumn([Bool])
        }

        init(_ reader: ParameterReader) throws(ParameterError) {
            let by = try reader.required("by")
            switch by {
            case .string(let column):
                columns = [column]
            case .array(let items) where !items.isEmpty:
                columns = []
                for (i, item) in items.enumerated() {
                    guard case .string(let column) = item else {
                        throw reader.mismatch("by[\(i)]", expected: "a column name", got: item)
                    }
                    columns.append(column)
                }
            default:
                throw reader.mismatch("by", expected: "a column name or a non-empty array of column names", got: by)
            }

            switch reader.value("ascending") {
            case nil:
                ascending = .all(true)
            case .array(let items)?:
                var flags: [Bool] = []
                for (i, item) in items.enumerated() {
                    guard case .bool(let flag) = item else {
                        throw reader.mismatch("ascending[\(i)]", expected: "a boolean", got: item)
                    }
                    flags.append(flag)
                }
                ascending = .perColumn(flags)
            case _?:
                ascending = .all(try reader.bool("ascending", default: true))
            }
        }

        /// The rows ordered by each column in turn; rows that tie keep their order, and a row that
        /// lacks the column or holds null comes after every value, whichever the direction (pandas'
        /// `na_position='last'`).
        func sort(_ rows: [JSONObject]) throws(Failure) -> [JSONObject] {
            let directions: [Bool]
            switch ascending {
            case .all(let flag):
                directions = Array(repeating: flag, count: columns.count)
            case .perColumn(let flags):
                guard flags.count == columns.count else {
                    throw Failure(
                        "ascending: expected \(columns.count) boolean(s), one per column in by, got \(flags.count)")
                }
                directions = flags
            }
            for column in columns {
                try Self.checkOrderable(rows, column: column)
            }

            let order = rows.indices.sorted { a, b in
                for (column, isAscending) in zip(columns, directions) {
                    let left = rows[a][column] ?? .null
                    let right = rows[b][column] ?? .null
                    switch (left.isNull, right.isNull) {
                    case (true, true): continue
                    case (true, false): return false
                    case (false, true): return true
                    case (false, false): break
                    }
                    guard let result = left.compare(to: right), result != .orderedSame else { continue }
                    return (result == .orderedAscending) == isAscending
                }
                // The original position breaks every tie, which makes the sort stable.
                return a < b
            }
            return order.map { rows[$0] }
        }

        /// Fails unless the column is in some row and its non-null values are all numbers, all
        /// strings or all booleans, naming the first two rows that disagree.
        static func checkOrderable(_ rows: [JSONObject], column: String) throws(Failure) {
            var present = false
            var first: (index: Int, value: JSONValue)?
            for (index, row) in rows.enumerated() {
                guard let value = row[column] else { continue }
                present = true
                switch value {
                case .null:
                    continue
                case .array, .object:
                    throw Failure(
                        "by: column '\(column)' cannot be sorted: data[\(index)] holds \(ParameterReader.describe(value))")
                case .bool, .int, .double, .string:
                    guard let earlier = first else {
                        first = (index, value)
                        continue
                    }
                    if earlier.value.compare(to: value) == nil {
                        throw Failure(
                            "by: column '\(column)' cannot be sorted: data[\(earlier.index)] holds a \(earlier.value.typeName) "
                                + "and data[\(index)] a \(value.typeName)")
                    }
                }
            }
            guard present else {
                throw Failure("by: column '\(column)' is not in any row")
            }
        }
    }
}
