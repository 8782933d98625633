import Foundation

extension CronExpression {
    /// How many years past the start a search looks before it decides the expression never fires.
    ///
    /// February 29 on a given weekday can be 40 years away (2088 to 2128, across the
    /// non-leap 2100); 50 years covers every real schedule and keeps impossible ones
    /// (`0 0 30 2 *`) cheap: a few thousand field steps.
    public static let searchHorizonYears = 50

    /// The first time strictly after `date` that the expression matches on the wall clock of `timeZone`.
    ///
    /// Daylight saving time, the same rule as cronie's for fixed-time jobs:
    /// - a wall-clock time skipped by a spring-forward gap fires once, at the first instant after
    ///   the gap; several skipped times (`*/15` across a one-hour gap) fire together, once;
    /// - a wall-clock time that happens twice after a fall-back fires once, at its first
    ///   occurrence; the repeated hour does not fire again.
    ///
    /// Fire times are whole seconds. Returns `nil` when nothing matches within ``searchHorizonYears``.
    public func nextFire(after date: Date, in timeZone: TimeZone) -> Date? {
        let nextWholeSecond = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + 1)
        return firstFire(atOrAfter: nextWholeSecond, in: timeZone)
    }

    /// Up to `count` consecutive fire times after `date`, as ``nextFire(after:in:)`` finds them.
    public func nextFires(after date: Date, count: Int, in timeZone: TimeZone) -> [Date] {
        var fires: [Date] = []
        var cursor = date
        while fires.count < count, let fire = nextFire(after: cursor, in: timeZone) {
            fires.append(fire)
            cursor = fire
        }
        return fires
    }

    /// The first fire time at or after `date`.
    func firstFire(atOrAfter date: Date, in timeZone: TimeZone) -> Date? {
        let start = Int(date.timeIntervalSince1970.rounded(.up))
        return firstFire(atOrAfter: start, in: timeZone).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// The first fire time at or after `start` (whole seconds since 1970).
    func firstFire(atOrAfter start: Int, in timeZone: TimeZone) -> Int? {
        var from = timeZone.localDateTime(at: start)
        let lastYear = from.year + Self.searchHorizonYears
        while let match = firstMatch(from: from, throughYear: lastYear) {
            switch timeZone.instant(of: match) {
            case .unique(let instant) where instant >= start:
                return instant
            case .repeated(let first, _) where first >= start:
                return first
            case .skipped(let gapEnd) where gapEnd >= start:
                return gapEnd
            default:
                // This wall-clock time already passed (its first occurrence lies before `start`).
                from = match.nextSecond
            }
        }
        return nil
    }

    /// The first wall-clock time at or after `from` that matches every field.
    ///
    /// Skips by fields (a wrong month jumps to the next allowed month, a wrong hour to the next
    /// allowed hour), so a yearly schedule costs a few dozen steps, not a scan of every minute.
    private func firstMatch(from: LocalDateTime, throughYear lastYear: Int) -> LocalDateTime? {
        var time = from
        while time.year <= lastYear {
            guard month.contains(time.month) else {
                time = if let next = month.lowestValue(atOrAbove: time.month + 1) {
                    LocalDateTime(year: time.year, month: next, day: 1)
                } else {
                    LocalDateTime(year: time.year + 1, month: month.lowestValue, day: 1)
                }
                continue
            }
            guard matchesDay(dayOfMonth: time.day, weekday: time.weekday) else {
                time = time.startOfNextDay
                continue
            }
            guard hour.contains(time.hour) else {
                time = if let next = hour.lowestValue(atOrAbove: time.hour + 1) {
                    LocalDateTime(year: time.year, month: time.month, day: time.day, hour: next)
                } else {
                    time.startOfNextDay
                }
                continue
            }
            guard minute.contains(time.minute) else {
                time = if let next = minute.lowestValue(atOrAbove: time.minute + 1) {
                    LocalDateTime(year: time.year, month: time.month, day: time.day, hour: time.hour, minute: next)
                } else {
                    time.startOfNextHour
                }
                continue
            }
            guard second.contains(time.second) else {
                if let next = second.lowestValue(atOrAbove: time.second + 1) {
                    time.second = next
                } else {
                    time = time.startOfNextMinute
                }
                continue
            }
            return time
        }
        return nil
    }
}
