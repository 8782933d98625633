import Foundation
import SQLKit
import WorkFlowEngine

/// Times are stored as BIGINT Unix milliseconds (UTC) in both dialects: one integer type that
/// SQLite and PostgreSQL compare, index and subtract alike, with no time-zone or text-format
/// surprises. Dates read back are exact to the millisecond.
enum StoreTime {
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }

    /// `YYYY-MM-DD_HH:MM:SS.mmm` in UTC, the seed's soft-delete suffix.
    static func deletedSuffix(_ date: Date) -> String {
        let milliseconds = milliseconds(date)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let seconds = milliseconds.floorDivided(by: 1000)
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fraction = Int(milliseconds - seconds * 1000)
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))_"
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(fraction, 3))"
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}

/// JSON columns hold compact JSON text written and read by the engine's own writer and parser,
/// which keep object keys in order (PostgreSQL's `jsonb` would not).
enum JSONColumn {
    static func text(_ value: JSONValue) -> String {
        JSONWriter.string(from: value)
    }

    static func text(_ object: JSONObject) -> String {
        JSONWriter.string(from: .object(object))
    }

    static func value(_ text: String, table: String, column: String) throws(StoreError) -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            throw StoreError.corruptValue(table: table, column: column, problem: "invalid JSON at \(error)")
        }
    }

    static func object(_ text: String, table: String, column: String) throws(StoreError) -> JSONObject {
        guard case .object(let object) = try value(text, table: table, column: column) else {
            throw StoreError.corruptValue(table: table, column: column, problem: "expected a JSON object")
        }
        return object
    }
}

/// Typed reads of the columns the store writes.
extension SQLRow {
    func string(_ column: String) throws -> String {
        try decode(column: column, as: String.self)
    }

    func optionalString(_ column: String) throws -> String? {
        try decodeNil(column: column) ? nil : decode(column: column, as: String.self)
    }

    func int64(_ column: String) throws -> Int64 {
        try decode(column: column, as: Int64.self)
    }

    func optionalInt64(_ column: String) throws -> Int64? {
        try decodeNil(column: column) ? nil : decode(column: column, as: Int64.self)
    }

    func int(_ column: String) throws -> Int {
        Int(try int64(column))
    }

    func optionalInt(_ column: String) throws -> Int? {
        try optionalInt64(column).map { Int($0) }
    }

    func bool(_ column: String) throws -> Bool {
        try decode(column: column, as: Bool.self)
    }

    func date(_ column: String) throws -> Date {
        StoreTime.date(try int64(column))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try optionalInt64(column).map(StoreTime.date)
    }

    /// A text column holding a value of a string enum, such as a status.
    func enumValue<T: RawRepresentable>(_ column: String, table: String, as type: T.Type) throws -> T where T.RawValue == String {
        let text = try string(column)
        guard let value = T(rawValue: text) else {
            throw StoreError.corruptValue(table: table, column: column, problem: "unknown value '\(text)'")
        }
        return value
    }
}

extension Optional where Wrapped == Date {
    /// The date as stored milliseconds, or `nil`.
    var milliseconds: Int64? { map(StoreTime.milliseconds) }
}
