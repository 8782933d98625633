import Foundation

/// A wall-clock date and time in the proleptic Gregorian calendar, not tied to any time zone.
///
/// The cron search walks wall-clock fields; only a found match is turned into an instant, by
/// ``Foundation/TimeZone/instant(of:)``, which is where daylight saving time is decided.
/// `Calendar.date(from:)` is not used for that step: it resolves a time inside a gap by its own
/// rule (moving it by the gap's length), not by the rule documented on `nextFire(after:in:)`.
struct LocalDateTime: Hashable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The wall-clock time `seconds` after 1970-01-01 00:00:00, ignoring any time zone.
    init(wallSeconds seconds: Int) {
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        var year = 1970 + (days * 400).floorDivided(by: 146_097)
        while Self.daysSinceEpoch(year: year, month: 1, day: 1) > days { year -= 1 }
        while Self.daysSinceEpoch(year: year + 1, month: 1, day: 1) <= days { year += 1 }
        let dayOfYear = days - Self.daysSinceEpoch(year: year, month: 1, day: 1)
        var month = 12
        while Self.daysBefore(month: month, year: year) > dayOfYear { month -= 1 }
        self.init(
            year: year, month: month, day: dayOfYear - Self.daysBefore(month: month, year: year) + 1,
            hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60, second: secondOfDay % 60
        )
    }

    /// Seconds since 1970-01-01 00:00:00 on the same wall clock, ignoring any time zone.
    var wallSeconds: Int {
        Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// 0 = Sunday ... 6 = Saturday.
    var weekday: Int {
        // 1970-01-01 was a Thursday.
        (Self.daysSinceEpoch(year: year, month: month, day: day) + 4).floorModulo(7)
    }

    /// The number of days in this date's month.
    var daysInMonth: Int {
        Self.daysBefore(month: month + 1, year: year) - Self.daysBefore(month: month, year: year)
    }

    /// Midnight of the following day.
    var startOfNextDay: LocalDateTime {
        if day < daysInMonth { return LocalDateTime(year: year, month: month, day: day + 1) }
        if month < 12 { return LocalDateTime(year: year, month: month + 1, day: 1) }
        return LocalDateTime(year: year + 1, month: 1, day: 1)
    }

    /// The start of the following hour.
    var startOfNextHour: LocalDateTime {
        guard hour < 23 else { return startOfNextDay }
        return LocalDateTime(year: year, month: month, day: day, hour: hour + 1)
    }

    /// The start of the following minute.
    var startOfNextMinute: LocalDateTime {
        guard minute < 59 else { return startOfNextHour }
        return LocalDateTime(year: year, month: month, day: day, hour: hour, minute: minute + 1)
    }

    /// One second later.
    var nextSecond: LocalDateTime {
        guard second < 59 else { return startOfNextMinute }
        var next = self
        next.second += 1
        return next
    }

    private static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Days in the year before the first of `month`; `month` 13 gives the length of the year.
    private static func daysBefore(month: Int, year: Int) -> Int {
        cumulativeDays[month - 1] + (month > 2 && isLeapYear(year) ? 1 : 0)
    }

    private static let cumulativeDays = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]

    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        func leapYears(before year: Int) -> Int {
            (year - 1).floorDivided(by: 4) - (year - 1).floorDivided(by: 100) + (year - 1).floorDivided(by: 400)
        }
        return 365 * (year - 1970) + leapYears(before: year) - leapYears(before: 1970)
            + daysBefore(month: month, year: year) + day - 1
    }
}

/// Where a wall-clock time falls on the time line of a time zone.
enum WallClockInstant: Equatable {
    /// The time occurs once, at these seconds since 1970.
    case unique(Int)
    /// The time occurs twice because clocks were turned back (fall-back).
    case repeated(first: Int, second: Int)
    /// The time never occurs because clocks jumped over it (spring-forward); the gap ends here.
    case skipped(gapEnd: Int)
}

extension TimeZone {
    /// The zone's offset from UTC, in seconds, at `instant` seconds since 1970.
    func offset(at instant: Int) -> Int {
        secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// The wall-clock time in this zone at `instant` seconds since 1970.
    func localDateTime(at instant: Int) -> LocalDateTime {
        LocalDateTime(wallSeconds: instant + offset(at: instant))
    }

    /// Finds when `local` happens in this zone.
    func instant(of local: LocalDateTime) -> WallClockInstant {
        let wall = local.wallSeconds
        // Any transition near `local` lies within a day; the offsets a day either side (and the
        // one those imply) are the only ones that can apply.
        let before = offset(at: wall - 86_400)
        let after = offset(at: wall + 86_400)
        let offsets = Set([before, after, offset(at: wall - before)])
        let instants = offsets.map { wall - $0 }.filter { offset(at: $0) == wall - $0 }.sorted()
        if instants.count >= 2, let first = instants.first, let last = instants.last {
            return .repeated(first: first, second: last)
        }
        if let only = instants.first {
            return .unique(only)
        }
        // In a gap: the first instant whose wall-clock time lies past `local` is the gap's end.
        var low = wall - (offsets.max() ?? before)
        var high = wall - (offsets.min() ?? before)
        while low + 1 < high {
            let middle = low + (high - low) / 2
            if middle + offset(at: middle) > wall { high = middle } else { low = middle }
        }
        return .skipped(gapEnd: high)
    }
}

extension Int {
    /// Division rounding towards negative infinity.
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder that has the sign of the divisor.
    func floorModulo(_ divisor: Int) -> Int {
        self - floorDivided(by: divisor) * divisor
    }
}
