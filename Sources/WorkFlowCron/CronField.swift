/// One of the six positions of a cron expression.
public enum CronFieldKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case second
    case minute
    case hour
    case dayOfMonth = "day-of-month"
    case month
    case dayOfWeek = "day-of-week"

    /// The values the field accepts as written; day-of-week accepts 7 as a second Sunday.
    public var writtenRange: ClosedRange<Int> {
        switch self {
        case .second, .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// The values the field holds once parsed (day-of-week: 0 = Sunday ... 6 = Saturday).
    var valueRange: ClosedRange<Int> {
        self == .dayOfWeek ? 0...6 : writtenRange
    }

    /// The names the field accepts besides numbers, upper-case, with their values.
    var names: [String: Int] {
        switch self {
        case .month: Self.monthNames
        case .dayOfWeek: Self.weekdayNames
        default: [:]
        }
    }

    /// Whether this is day-of-month or day-of-week, the two fields that combine with each other.
    var isDay: Bool {
        self == .dayOfMonth || self == .dayOfWeek
    }

    /// The field's name as messages show it (`day-of-month`).
    public var description: String { rawValue }

    private static let monthNames: [String: Int] = [
        "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
        "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
    ]
    private static let weekdayNames: [String: Int] = [
        "SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6,
    ]
}

/// The set of values one field of a cron expression allows.
///
/// Two fields are equal when they allow the same values and, for the day fields, agree on
/// ``startsWithStar``: `0,30` equals `*/30` as minutes, but `1-31/2` and `*/2` differ as days.
public struct CronField: Sendable, Hashable {
    /// Which field this is.
    public let kind: CronFieldKind
    /// Bit `n` is set when value `n` is allowed; every range fits in 64 bits.
    private let bits: UInt64
    /// Whether the field was written starting with `*` (`*` or `*/n`).
    ///
    /// Vixie cron reads day-of-month and day-of-week as "restricted" only when they do not start
    /// with `*`; see ``CronExpression`` for the rule that depends on it.
    public let startsWithStar: Bool

    init(kind: CronFieldKind, values: some Sequence<Int>, startsWithStar: Bool) {
        self.kind = kind
        self.bits = values.reduce(0) { $0 | (1 << UInt64($1)) }
        self.startsWithStar = startsWithStar
    }

    public static func == (lhs: CronField, rhs: CronField) -> Bool {
        lhs.kind == rhs.kind && lhs.bits == rhs.bits && lhs.starDecidesDays == rhs.starDecidesDays
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(bits)
        hasher.combine(starDecidesDays)
    }

    /// Whether ``startsWithStar`` changes what the expression means: only for the day fields.
    private var starDecidesDays: Bool {
        startsWithStar && kind.isDay
    }

    /// The field that allows exactly one value.
    static func only(_ value: Int, _ kind: CronFieldKind) -> CronField {
        CronField(kind: kind, values: [value], startsWithStar: false)
    }

    /// Whether `value` is allowed.
    public func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    /// The allowed values in ascending order.
    public var values: [Int] {
        kind.valueRange.filter(contains)
    }

    /// Whether every value of the field's range is allowed.
    public var allowsEveryValue: Bool {
        kind.valueRange.allSatisfy(contains)
    }

    /// The smallest allowed value at or above `value`, if any.
    func lowestValue(atOrAbove value: Int) -> Int? {
        guard value <= kind.valueRange.upperBound else { return nil }
        return (max(value, kind.valueRange.lowerBound)...kind.valueRange.upperBound).first(where: contains)
    }

    /// The smallest allowed value; a parsed field always allows at least one.
    var lowestValue: Int {
        lowestValue(atOrAbove: kind.valueRange.lowerBound) ?? kind.valueRange.lowerBound
    }
}
