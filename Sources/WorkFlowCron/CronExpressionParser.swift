/// Reads cron text into a ``CronExpression``, collecting every problem instead of stopping at the first.
enum CronExpressionParser {
    /// The supported macros and the five fields each stands for.
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    static func parse(_ text: String) -> Result<CronExpression, CronParseError> {
        func failure(_ reason: CronParseProblem.Reason) -> Result<CronExpression, CronParseError> {
            .failure(CronParseError(expression: text, problems: [CronParseProblem(field: nil, reason: reason)]))
        }
        var words = text.split(whereSeparator: \.isWhitespace)
        if words.count == 1, let word = words.first, word.hasPrefix("@") {
            guard let fields = macros[word.lowercased()] else { return failure(.unknownMacro(String(word))) }
            words = fields.split(separator: " ")
        }
        let kinds: [CronFieldKind]
        switch words.count {
        case 0: return failure(.empty)
        case 5: kinds = [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        case 6: kinds = CronFieldKind.allCases
        default: return failure(.wrongFieldCount(words.count))
        }

        var fields: [CronFieldKind: CronField] = [.second: .only(0, .second)]
        var problems: [CronParseProblem] = []
        for (kind, word) in zip(kinds, words) {
            switch parseField(word, as: kind) {
            case .success(let field): fields[kind] = field
            case .failure(let fieldProblems): problems += fieldProblems.reasons.map { CronParseProblem(field: kind, reason: $0) }
            }
        }
        guard problems.isEmpty,
              let second = fields[.second], let minute = fields[.minute], let hour = fields[.hour],
              let dayOfMonth = fields[.dayOfMonth], let month = fields[.month], let dayOfWeek = fields[.dayOfWeek]
        else {
            return .failure(CronParseError(expression: text, problems: problems))
        }
        return .success(CronExpression(
            second: second, minute: minute, hour: hour,
            dayOfMonth: dayOfMonth, month: month, dayOfWeek: dayOfWeek
        ))
    }

    /// The problems of one field, so that `Result` can carry them.
    struct FieldProblems: Error {
        var reasons: [CronParseProblem.Reason]
    }

    /// Parses one field: a comma-separated list of `*`, values and ranges, each with an optional step.
    static func parseField(_ text: Substring, as kind: CronFieldKind) -> Result<CronField, FieldProblems> {
        var values: Set<Int> = []
        var reasons: [CronParseProblem.Reason] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            switch parseItem(item, as: kind) {
            case .success(let itemValues): values.formUnion(itemValues)
            case .failure(let problem): reasons += problem.reasons
            }
        }
        guard reasons.isEmpty else { return .failure(FieldProblems(reasons: reasons)) }
        // Day-of-week 7 is a second name for Sunday.
        let normalized = kind == .dayOfWeek ? values.map { $0 % 7 } : Array(values)
        return .success(CronField(kind: kind, values: normalized, startsWithStar: text.hasPrefix("*")))
    }

    /// Parses `*`, `a`, `a-b`, optionally followed by `/step`, into the values it allows.
    private static func parseItem(_ item: Substring, as kind: CronFieldKind) -> Result<[Int], FieldProblems> {
        guard !item.isEmpty else { return .failure(FieldProblems(reasons: [.emptyListItem])) }
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0]
        var reasons: [CronParseProblem.Reason] = []

        var step: Int?
        if parts.count == 2 {
            let width = kind.valueRange.upperBound - kind.valueRange.lowerBound
            if let number = Int(parts[1]), parts[1].allSatisfy(\.isASCIIDigit) {
                if (1...width).contains(number) { step = number } else { reasons.append(.stepOutOfRange(number, 1...width)) }
            } else {
                reasons.append(.invalidStep(String(parts[1])))
            }
        }

        var range: ClosedRange<Int>?
        if base == "*" {
            range = kind.valueRange
        } else {
            let ends = base.split(separator: "-", omittingEmptySubsequences: false)
            switch ends.count {
            case 1:
                if let value = parseValue(ends[0], as: kind, reasons: &reasons) {
                    // `a/n` runs from `a` to the end of the field.
                    range = value...(parts.count == 2 ? max(value, kind.valueRange.upperBound) : value)
                }
            case 2 where !ends[0].isEmpty && !ends[1].isEmpty:
                let start = parseValue(ends[0], as: kind, reasons: &reasons)
                var end = parseValue(ends[1], as: kind, reasons: &reasons)
                // `FRI-SUN` ends on Sunday written as 7, so that the range runs forwards.
                if kind == .dayOfWeek, end == 0, ends[1].uppercased() == "SUN" { end = 7 }
                if let start, let end {
                    if start <= end { range = start...end } else { reasons.append(.backwardsRange(start, end)) }
                }
            default:
                reasons.append(.invalidValue(String(base)))
            }
        }
        guard reasons.isEmpty, let range else { return .failure(FieldProblems(reasons: reasons)) }
        return .success(Array(stride(from: range.lowerBound, through: range.upperBound, by: step ?? 1)))
    }

    /// Parses a number or one of the field's names, checking the range.
    private static func parseValue(
        _ text: Substring, as kind: CronFieldKind, reasons: inout [CronParseProblem.Reason]
    ) -> Int? {
        if let named = kind.names[text.uppercased()] { return named }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit), let number = Int(text) else {
            reasons.append(.invalidValue(String(text)))
            return nil
        }
        guard kind.writtenRange.contains(number) else {
            reasons.append(.outOfRange(number, kind.writtenRange))
            return nil
        }
        return number
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
