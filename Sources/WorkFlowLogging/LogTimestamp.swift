import Foundation

/// `YYYY-MM-DD HH:MM:SS.mmm` in a given time zone, the seed's log time format.
///
/// Computed with integer calendar arithmetic rather than `DateFormatter`: it runs for every
/// line on the caller's thread, and a formatter is neither cheap nor safe to share.
public enum LogTimestamp {
    public static func format(_ date: Date, in timeZone: TimeZone) -> String {
        // Milliseconds are truncated like the seed's `%f`[:-3]; the tiny bias keeps a time
        // written as x.678 from reading back as x.677999... and printing .677.
        let totalMs = Int64((date.timeIntervalSince1970 * 1000 + 0.000_5).rounded(.down))
        let offsetMs = Int64(timeZone.secondsFromGMT(for: date)) * 1000
        let localMs = totalMs + offsetMs
        let days = floorDiv(localMs, 86_400_000)
        let msOfDay = localMs - days * 86_400_000
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60_000 % 60
        let second = msOfDay / 1000 % 60
        let millisecond = msOfDay % 1000
        var out = ""
        out.reserveCapacity(23)
        append(year, width: 4, to: &out)
        out += "-"
        append(month, width: 2, to: &out)
        out += "-"
        append(day, width: 2, to: &out)
        out += " "
        append(hour, width: 2, to: &out)
        out += ":"
        append(minute, width: 2, to: &out)
        out += ":"
        append(second, width: 2, to: &out)
        out += "."
        append(millisecond, width: 3, to: &out)
        return out
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`).
    private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func append(_ value: Int64, width: Int, to out: inout String) {
        let digits = String(value)
        if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
        out += digits
    }
}
