/// Why a cron expression could not be read: every problem found, each naming its field.
public struct CronParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The expression as it was given.
    public let expression: String
    /// Every problem found, in field order; never empty.
    public let problems: [CronParseProblem]

    /// One line for a user: `invalid cron expression "0 25 * * *": field 'hour': 25 is out of range 0–23`.
    public var description: String {
        "invalid cron expression \"\(expression)\": " + problems.map(\.description).joined(separator: "; ")
    }
}

/// One problem in a cron expression, with the field it is in.
public struct CronParseProblem: Sendable, Hashable, CustomStringConvertible {
    /// The field the problem is in, or `nil` when it concerns the whole expression.
    public let field: CronFieldKind?
    /// What is wrong.
    public let reason: Reason

    /// What can be wrong in a cron expression.
    public enum Reason: Sendable, Hashable {
        /// The expression has no fields at all.
        case empty
        /// The expression has this many fields instead of 5 or 6.
        case wrongFieldCount(Int)
        /// An `@` macro that is not one of the supported ones.
        case unknownMacro(String)
        /// A list has an empty item (`1,,2` or a trailing comma).
        case emptyListItem
        /// A value is neither a number nor one of the field's names.
        case invalidValue(String)
        /// A value lies outside the field's range.
        case outOfRange(Int, ClosedRange<Int>)
        /// A range whose start lies after its end.
        case backwardsRange(Int, Int)
        /// A step (after `/`) that is not a whole number.
        case invalidStep(String)
        /// A step outside 1 and the width of the field's range.
        case stepOutOfRange(Int, ClosedRange<Int>)
    }

    /// `field 'hour': 25 is out of range 0–23`.
    public var description: String {
        guard let field else { return reason.description(in: nil) }
        return "field '\(field)': " + reason.description(in: field)
    }
}

extension CronParseProblem.Reason {
    fileprivate func description(in field: CronFieldKind?) -> String {
        switch self {
        case .empty:
            return "the expression is empty"
        case .wrongFieldCount(let count):
            return "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got \(count)"
        case .unknownMacro(let macro):
            return "unknown macro '\(macro)'; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
        case .emptyListItem:
            return "a list item is empty"
        case .invalidValue(let text):
            let names = switch field {
            case .month: " or a month name (JAN–DEC)"
            case .dayOfWeek: " or a weekday name (SUN–SAT)"
            default: ""
            }
            return "'\(text)' is not a number\(names)"
        case .outOfRange(let value, let range):
            return "\(value) is out of range \(range.lowerBound)–\(range.upperBound)"
        case .backwardsRange(let start, let end):
            return "the range \(start)-\(end) runs backwards"
        case .invalidStep(let text):
            return "the step '\(text)' is not a whole number"
        case .stepOutOfRange(let step, let range):
            return "the step \(step) is out of range \(range.lowerBound)–\(range.upperBound)"
        }
    }
}
