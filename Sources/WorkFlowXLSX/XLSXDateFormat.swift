import Foundation

/// What a cell's number format shows of a serial date number: a day, a time of day, or both.
///
/// Excel stores dates as numbers (days since its epoch, the time as the fraction); only the
/// number format of the cell's style tells a date from a plain number.
enum XLSXDateKind: Sendable, Equatable {
    case date, time, dateTime

    /// The kind of a built-in format id: 14–17 dates, 18–21 times, 22 a date with a time,
    /// 45–47 minutes and seconds. Other built-in ids are numbers, text or locale-specific
    /// formats that openpyxl (and so the seed) read as numbers too.
    static func ofBuiltInFormat(_ id: Int) -> XLSXDateKind? {
        switch id {
        case 14...17: .date
        case 18...21, 45...47: .time
        case 22: .dateTime
        default: nil
        }
    }

    /// The kind a custom format code shows, from its first section's date and time tokens
    /// (y, m, d, h, s, AM/PM, elapsed `[h]`/`[m]`/`[s]`); text in quotes, escaped characters,
    /// padding and other bracketed parts (colours, locales, conditions) do not count. `m` is a
    /// minute right after an hour or right before a second, otherwise a month.
    static func ofFormatCode(_ code: String) -> XLSXDateKind? {
        enum Token { case year, month, day, hour, second, minuteOrMonth, meridiem }

        var tokens: [Token] = []
        let characters = Array(code)
        var index = 0
        scan: while index < characters.count {
            let character = characters[index]
            index += 1
            switch character {
            case ";":
                break scan
            case "\"":
                while index < characters.count, characters[index] != "\"" { index += 1 }
                index += 1
            case "\\", "_", "*":
                index += 1
            case "[":
                var inner = ""
                while index < characters.count, characters[index] != "]" {
                    inner.append(characters[index])
                    index += 1
                }
                index += 1
                let lower = inner.lowercased()
                if !lower.isEmpty, Set(lower).count == 1, let first = lower.first {
                    switch first {
                    case "h": tokens.append(.hour)
                    case "m": tokens.append(.minuteOrMonth)
                    case "s": tokens.append(.second)
                    default: break
                    }
                }
            default:
                let lower = character.lowercased()
                let token: Token
                switch lower {
                case "y": token = .year
                case "d": token = .day
                case "h": token = .hour
                case "s": token = .second
                case "m": token = .minuteOrMonth
                case "a":
                    let rest = String(characters[(index - 1)...].prefix(5)).lowercased()
                    if rest.hasPrefix("am/pm") {
                        index += 4
                    } else if rest.hasPrefix("a/p") {
                        index += 2
                    } else {
                        continue scan
                    }
                    token = .meridiem
                default:
                    continue scan
                }
                // A run of the same letter (yyyy, mm) is one token.
                while token != .meridiem, index < characters.count, characters[index].lowercased() == lower {
                    index += 1
                }
                tokens.append(token)
            }
        }

        var hasDate = false
        var hasTime = false
        for (position, token) in tokens.enumerated() {
            switch token {
            case .year, .month, .day: hasDate = true
            case .hour, .second, .meridiem: hasTime = true
            case .minuteOrMonth:
                let afterHour = position > 0 && tokens[position - 1] == .hour
                let beforeSecond = position + 1 < tokens.count && tokens[position + 1] == .second
                if afterHour || beforeSecond { hasTime = true } else { hasDate = true }
            }
        }
        switch (hasDate, hasTime) {
        case (true, true): return .dateTime
        case (true, false): return .date
        case (false, true): return .time
        case (false, false): return nil
        }
    }

    /// The ISO 8601 text of a serial number shown with this kind of format, to the millisecond
    /// (`.mmm` only when not zero): `2024-03-01`, `2024-03-01T13:45:00` or `13:45:00`. A date
    /// format whose value has a time part shows the time too, so nothing is lost; a time format
    /// whose value is a day or more (an elapsed time) gives the full date and time. Nil for
    /// negative numbers and numbers past 9999-12-31, which are not dates.
    func isoText(serial: Double, date1904: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        let milliseconds = Int((serial * 86_400_000).rounded())
        var days = milliseconds / 86_400_000
        let clock = Self.clockText(milliseconds % 86_400_000)
        if self == .time, days == 0 { return clock }

        // The 1900 system counts a 29 February 1900 that never was: serials below 60 sit one day later.
        if !date1904, days > 0, days < 60 { days += 1 }
        let epoch: TimeInterval = date1904 ? -2_082_844_800 : -2_209_161_600  // 1904-01-01 and 1899-12-30, UTC
        let day = Self.utc.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: epoch + Double(days) * 86_400))
        let (year, month, dayOfMonth) = (day.year ?? 0, day.month ?? 0, day.day ?? 0)
        let date = "\(Self.padded(year, 4))-\(Self.padded(month, 2))-\(Self.padded(dayOfMonth, 2))"
        if self == .date, milliseconds % 86_400_000 == 0 { return date }
        return date + "T" + clock
    }

    private static func clockText(_ milliseconds: Int) -> String {
        let seconds = milliseconds / 1000
        var text = "\(padded(seconds / 3600, 2)):\(padded(seconds / 60 % 60, 2)):\(padded(seconds % 60, 2))"
        if milliseconds % 1000 != 0 { text += "." + padded(milliseconds % 1000, 3) }
        return text
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()
}
