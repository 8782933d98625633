import Foundation

/// Dates as the texts the APIs answer with, in UTC, to the millisecond.
///
/// Written by hand because every listed workflow and run carries two or three of them, and
/// Foundation's format styles cost more per call than the rest of a `GET /flow` together.
enum UTCText {
    /// A date broken into its UTC calendar fields.
    struct Fields: Equatable {
        var year: Int
        var month: Int  // 1...12
        var day: Int  // 1...31
        var hour: Int
        var minute: Int
        var second: Int
        var millisecond: Int
        /// 0 = Sunday ... 6 = Saturday.
        var weekday: Int
    }

    static func fields(_ date: Date) -> Fields {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, millisecond) = floorDivide(milliseconds, 1000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(daysSinceEpoch: days)
        let (_, weekday) = floorDivide(days + 4, 7)  // 1970-01-01 was a Thursday
        return Fields(
            year: year, month: month, day: day, hour: Int(secondOfDay / 3600), minute: Int(secondOfDay / 60 % 60),
            second: Int(secondOfDay % 60), millisecond: Int(millisecond), weekday: Int(weekday))
    }

    /// `2026-11-28T03:04:05.678Z`.
    static func iso8601(_ date: Date) -> String {
        let f = fields(date)
        var text = ""
        text.reserveCapacity(24)
        appendDate(f, separator: "T", to: &text)
        text += "."
        append(f.millisecond, width: 3, to: &text)
        text += "Z"
        return text
    }

    /// `Sat, 28 Nov 2026 03:04:05 GMT` (RFC 1123, as Flask wrote dates).
    static func rfc1123(_ date: Date) -> String {
        let f = fields(date)
        var text = weekdays[f.weekday] + ", "
        append(f.day, width: 2, to: &text)
        text += " " + months[f.month - 1] + " "
        append(f.year, width: 4, to: &text)
        text += " "
        appendTime(f, to: &text)
        text += " GMT"
        return text
    }

    /// `2026-11-28 03:04:05.678000` (Python's `str(datetime)` of a time with microseconds).
    static func python(_ date: Date) -> String {
        let f = fields(date)
        var text = ""
        appendDate(f, separator: " ", to: &text)
        text += "."
        append(f.millisecond, width: 3, to: &text)
        text += "000"
        return text
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func appendDate(_ f: Fields, separator: String, to text: inout String) {
        append(f.year, width: 4, to: &text)
        text += "-"
        append(f.month, width: 2, to: &text)
        text += "-"
        append(f.day, width: 2, to: &text)
        text += separator
        appendTime(f, to: &text)
    }

    private static func appendTime(_ f: Fields, to text: inout String) {
        append(f.hour, width: 2, to: &text)
        text += ":"
        append(f.minute, width: 2, to: &text)
        text += ":"
        append(f.second, width: 2, to: &text)
    }

    /// `value` in decimal, zero-padded to `width` digits (a minus sign before the padding).
    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value.magnitude)
        if value < 0 { text += "-" }
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = a % b
        return remainder < 0 ? (a / b - 1, remainder + b) : (a / b, remainder)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01, counted in 400-year eras of
    /// 146,097 days whose years start on March 1 (so the leap day ends the year).
    static func civil(daysSinceEpoch days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0...365, from March 1
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March ... 11 = February
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
