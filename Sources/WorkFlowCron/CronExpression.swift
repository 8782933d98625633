import Foundation

/// A parsed cron schedule: standard five fields (minute hour day-of-month month day-of-week)
/// with an optional leading seconds field.
///
/// Accepted syntax, per field: `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n`
/// (from `a` to the field's end), lists `a,b,c`, month names `JAN`–`DEC` and weekday names
/// `SUN`–`SAT` (any case), 7 as Sunday, and the macros `@yearly` (`@annually`), `@monthly`,
/// `@weekly`, `@daily` (`@midnight`) and `@hourly`.
///
/// Days follow Vixie cron: when day-of-month and day-of-week are both restricted, a day matches
/// if *either* matches (`0 0 13 * FRI` fires on every 13th and every Friday). A field counts as
/// unrestricted when it is written starting with `*`, so `0 0 */2 * MON` means odd days that
/// are Mondays, as in Vixie cron and cronie.
///
/// Two expressions are equal when they fire at the same times: `@daily == 0 0 * * *`.
public struct CronExpression: Sendable, Hashable {
    /// The seconds field; `0` when the expression has five fields.
    public let second: CronField
    /// The minutes field.
    public let minute: CronField
    /// The hours field.
    public let hour: CronField
    /// The day-of-month field.
    public let dayOfMonth: CronField
    /// The months field.
    public let month: CronField
    /// The day-of-week field, 0 = Sunday ... 6 = Saturday.
    public let dayOfWeek: CronField

    /// Parses `text`, reporting every problem at once.
    public init(_ text: String) throws(CronParseError) {
        switch CronExpressionParser.parse(text) {
        case .success(let fields): self = fields
        case .failure(let error): throw error
        }
    }

    init(
        second: CronField, minute: CronField, hour: CronField,
        dayOfMonth: CronField, month: CronField, dayOfWeek: CronField
    ) {
        self.second = second
        self.minute = minute
        self.hour = hour
        self.dayOfMonth = dayOfMonth
        self.month = month
        self.dayOfWeek = dayOfWeek
    }

    /// Whether a calendar day matches the day-of-month and day-of-week fields together.
    func matchesDay(dayOfMonth day: Int, weekday: Int) -> Bool {
        let dayMatches = dayOfMonth.contains(day)
        let weekdayMatches = dayOfWeek.contains(weekday)
        if dayOfMonth.startsWithStar || dayOfWeek.startsWithStar {
            return dayMatches && weekdayMatches
        }
        return dayMatches || weekdayMatches
    }
}

extension CronExpression: CustomStringConvertible {
    /// The normalized expression: names as numbers, macros expanded, a zero seconds field
    /// left out (`@weekly` → `0 0 * * 0`, `0 9 * * MON-FRI` → `0 9 * * 1-5`).
    public var description: String {
        var fields = [minute, hour, dayOfMonth, month, dayOfWeek]
        if second.values != [0] {
            fields.insert(second, at: 0)
        }
        return fields.map(\.normalizedText).joined(separator: " ")
    }
}

extension CronExpression: Codable {
    /// Decodes an expression from its text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the normalized text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension CronField {
    /// The field written back in its shortest usual form.
    ///
    /// Day-of-month and day-of-week keep whether they start with `*`, because that decides how
    /// they combine; other fields use `*` forms whenever the values allow.
    var normalizedText: String {
        let all = values
        let range = kind.valueRange
        let starFormAllowed = startsWithStar || !kind.isDay
        if starFormAllowed {
            if all.count == range.count { return "*" }
            if let step = Self.commonStep(of: all), all.first == range.lowerBound,
               all == Array(stride(from: range.lowerBound, through: range.upperBound, by: step)) {
                return "*/\(step)"
            }
        }
        if all.count >= 3, let step = Self.commonStep(of: all), step > 1, let first = all.first, let last = all.last {
            return "\(first)-\(last)/\(step)"
        }
        return Self.runs(of: all).map { run in
            run.count >= 3 ? ["\(run.lowerBound)-\(run.upperBound)"] : run.map(String.init)
        }.joined().joined(separator: ",")
    }

    /// The difference between neighbours when it is the same for all of them.
    private static func commonStep(of values: [Int]) -> Int? {
        guard values.count >= 2 else { return nil }
        let step = values[1] - values[0]
        return zip(values, values.dropFirst()).allSatisfy { $1 - $0 == step } ? step : nil
    }

    /// Sorted values grouped into runs of consecutive numbers.
    private static func runs(of values: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for value in values {
            if let last = runs.last, last.upperBound + 1 == value {
                runs[runs.count - 1] = last.lowerBound...value
            } else {
                runs.append(value...value)
            }
        }
        return runs
    }
}
