import Foundation
import Testing
@testable import WorkFlowCron

@Suite("Parsing cron expressions")
struct CronExpressionParsingTests {
    @Test("every syntax form parses and prints in normalized form", arguments: [
        ("* * * * *", "* * * * *"),
        ("5 4 * * *", "5 4 * * *"),
        ("  0\t12  * * *  ", "0 12 * * *"),
        ("0 9-17 * * *", "0 9-17 * * *"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("0,30 * * * *", "*/30 * * * *"),
        ("0 9-17/2 * * *", "0 9-17/2 * * *"),
        ("5/20 * * * *", "5-45/20 * * * *"),
        ("1,2,3,5 * * * *", "1-3,5 * * * *"),
        ("0 0 1,15,31 * *", "0 0 1,15,31 * *"),
        ("0 0 */2 * *", "0 0 */2 * *"),
        ("0 0 1-31/2 * *", "0 0 1-31/2 * *"),
        ("0 0 1-31 * *", "0 0 1-31 * *"),
        ("0 0 * jan,Mar,DEC *", "0 0 * 1,3,12 *"),
        ("0 0 * JAN-MAR *", "0 0 * 1-3 *"),
        ("0 0 * */3 *", "0 0 * */3 *"),
        ("0 0 * * mon-FRI", "0 0 * * 1-5"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * 0,7", "0 0 * * 0"),
        ("0 0 * * 5-7", "0 0 * * 0,5,6"),
        ("0 0 * * FRI-SUN", "0 0 * * 0,5,6"),
        ("0 0 * * 0-7", "0 0 * * 0-6"),
        ("0 0 * * 1/2", "0 0 * * 1-5/2"),
        ("30 */10 * * * *", "30 */10 * * * *"),
        ("0 * * * * *", "* * * * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@DAILY", "0 0 * * *"),
    ])
    func normalizedForm(expression: String, normalized: String) throws {
        let parsed = try CronExpression(expression)
        #expect(parsed.description == normalized)
        #expect(try CronExpression(normalized) == parsed, "the normalized form means the same schedule")
    }

    @Test("fields hold exactly the values written")
    func fieldValues() throws {
        let expression = try CronExpression("15 0 9-17/4 1,15 jun-aug 1-5")
        #expect(expression.second.values == [15])
        #expect(expression.minute.values == [0])
        #expect(expression.hour.values == [9, 13, 17])
        #expect(expression.dayOfMonth.values == [1, 15])
        #expect(expression.month.values == [6, 7, 8])
        #expect(expression.dayOfWeek.values == [1, 2, 3, 4, 5])
        #expect(try CronExpression("* * * * *").second.values == [0])
    }

    @Test("a day field written with a leading star counts as unrestricted")
    func starPrefix() throws {
        #expect(try CronExpression("0 0 */2 * *").dayOfMonth.startsWithStar)
        #expect(try !CronExpression("0 0 1-31/2 * *").dayOfMonth.startsWithStar)
        #expect(try CronExpression("0 0 * * *").dayOfWeek.allowsEveryValue)
        #expect(try !CronExpression("0 0 * * 0-6").dayOfWeek.startsWithStar)
    }

    @Test("a macro equals the fields it stands for")
    func macroEquality() throws {
        #expect(try CronExpression("@daily") == CronExpression("0 0 * * *"))
        #expect(try CronExpression("@weekly") == CronExpression("0 0 * * SUN"))
        #expect(try CronExpression("0 0 * * 7") == CronExpression("0 0 * * 0"))
        #expect(try CronExpression("0 0 1-31/2 * *") != CronExpression("0 0 */2 * *"))
    }

    @Test("expressions encode as their normalized text and decode from any accepted form")
    func codable() throws {
        let decoded = try JSONDecoder().decode([CronExpression].self, from: Data(#"["0 9 * * MON-FRI"]"#.utf8))
        #expect(decoded == [try CronExpression("0 9 * * 1-5")])
        let encoded = try JSONEncoder().encode(decoded)
        #expect(String(decoding: encoded, as: UTF8.self) == #"["0 9 * * 1-5"]"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([CronExpression].self, from: Data(#"["0 25 * * *"]"#.utf8))
        }
    }

    @Test("every kind of mistake is reported with its field and the whole expression", arguments: [
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got 4"),
        ("* * * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading second, got 7"),
        ("@reboot", "unknown macro '@reboot'; expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"),
        ("60 * * * * *", "field 'second': 60 is out of range 0–59"),
        ("60 * * * *", "field 'minute': 60 is out of range 0–59"),
        ("0 25 * * *", "field 'hour': 25 is out of range 0–23"),
        ("0 0 0 * *", "field 'day-of-month': 0 is out of range 1–31"),
        ("0 0 32 * *", "field 'day-of-month': 32 is out of range 1–31"),
        ("0 0 * 13 *", "field 'month': 13 is out of range 1–12"),
        ("0 0 * 0 *", "field 'month': 0 is out of range 1–12"),
        ("0 0 * * 8", "field 'day-of-week': 8 is out of range 0–7"),
        ("0 0 * FOO *", "field 'month': 'FOO' is not a number or a month name (JAN–DEC)"),
        ("0 0 * * SUNDAY", "field 'day-of-week': 'SUNDAY' is not a number or a weekday name (SUN–SAT)"),
        ("x * * * *", "field 'minute': 'x' is not a number"),
        ("0 MON * * *", "field 'hour': 'MON' is not a number"),
        ("0 17-9 * * *", "field 'hour': the range 17-9 runs backwards"),
        ("0 0 * * SAT-MON", "field 'day-of-week': the range 6-1 runs backwards"),
        ("*/0 * * * *", "field 'minute': the step 0 is out of range 1–59"),
        ("0 0 * * */7", "field 'day-of-week': the step 7 is out of range 1–6"),
        ("*/x * * * *", "field 'minute': the step 'x' is not a whole number"),
        ("*/ * * * *", "field 'minute': the step '' is not a whole number"),
        ("*/5/2 * * * *", "field 'minute': the step '5/2' is not a whole number"),
        ("1,,2 * * * *", "field 'minute': a list item is empty"),
        ("1, * * * *", "field 'minute': a list item is empty"),
        ("1- * * * *", "field 'minute': '1-' is not a number"),
        ("-5 * * * *", "field 'minute': '-5' is not a number"),
        ("1-2-3 * * * *", "field 'minute': '1-2-3' is not a number"),
    ])
    func errors(expression: String, problem: String) {
        #expect {
            try CronExpression(expression)
        } throws: { error in
            (error as? CronParseError)?.description == "invalid cron expression \"\(expression)\": \(problem)"
        }
    }

    @Test("all problems are collected, in field order, with typed reasons")
    func collectsProblems() throws {
        let error = try #require(throws: CronParseError.self) {
            try CronExpression("60 25 * JAN-FOO 1,,2")
        }
        #expect(error.expression == "60 25 * JAN-FOO 1,,2")
        #expect(error.problems == [
            CronParseProblem(field: .minute, reason: .outOfRange(60, 0...59)),
            CronParseProblem(field: .hour, reason: .outOfRange(25, 0...23)),
            CronParseProblem(field: .month, reason: .invalidValue("FOO")),
            CronParseProblem(field: .dayOfWeek, reason: .emptyListItem),
        ])
        #expect(error.description == """
            invalid cron expression "60 25 * JAN-FOO 1,,2": field 'minute': 60 is out of range 0–59; \
            field 'hour': 25 is out of range 0–23; \
            field 'month': 'FOO' is not a number or a month name (JAN–DEC); \
            field 'day-of-week': a list item is empty
            """)
    }
}
