import Foundation
import Testing
@testable import WorkFlowCron

@Suite("Next fire times in UTC")
struct CronExpressionNextFireTests {
    @Test("every minute fires at the next whole minute, strictly after the given instant")
    func everyMinute() throws {
        #expect(try fires("* * * * *", after: "2024-01-01T00:00:30Z", count: 3) == [
            "2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z", "2024-01-01T00:03:00Z",
        ])
        #expect(try fires("* * * * *", after: "2024-01-01T00:01:00Z") == ["2024-01-01T00:02:00Z"])
        let justBefore = try utc("2024-01-01T00:00:59Z").addingTimeInterval(0.999)
        let next = try CronExpression("* * * * *").nextFire(after: justBefore, in: zone("UTC"))
        #expect(next.map(utcText) == "2024-01-01T00:01:00Z")
    }

    @Test("hourly fires on the hour, across midnight")
    func hourly() throws {
        #expect(try fires("@hourly", after: "2024-01-01T22:59:59Z", count: 3) == [
            "2024-01-01T23:00:00Z", "2024-01-02T00:00:00Z", "2024-01-02T01:00:00Z",
        ])
    }

    @Test("weekdays skip the weekend")
    func weekdays() throws {
        // 2024-01-05 is a Friday.
        #expect(try fires("0 9 * * MON-FRI", after: "2024-01-05T09:00:00Z", count: 3) == [
            "2024-01-08T09:00:00Z", "2024-01-09T09:00:00Z", "2024-01-10T09:00:00Z",
        ])
    }

    @Test("*/15 fires on the quarter hours")
    func everyQuarterHour() throws {
        #expect(try fires("*/15 * * * *", after: "2024-01-01T10:07:00Z", count: 4) == [
            "2024-01-01T10:15:00Z", "2024-01-01T10:30:00Z", "2024-01-01T10:45:00Z", "2024-01-01T11:00:00Z",
        ])
    }

    @Test("ranges with steps and lists combine within a day")
    func rangesAndLists() throws {
        #expect(try fires("0,30 9-17/4 * * *", after: "2024-01-01T00:00:00Z", count: 7) == [
            "2024-01-01T09:00:00Z", "2024-01-01T09:30:00Z", "2024-01-01T13:00:00Z", "2024-01-01T13:30:00Z",
            "2024-01-01T17:00:00Z", "2024-01-01T17:30:00Z", "2024-01-02T09:00:00Z",
        ])
    }

    @Test("the 31st fires only in months that have one")
    func thirtyFirst() throws {
        #expect(try fires("0 0 31 * *", after: "2024-01-31T00:00:00Z", count: 4) == [
            "2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z", "2024-08-31T00:00:00Z",
        ])
        #expect(try fires("0 12 30 * *", after: "2024-01-15T00:00:00Z", count: 2) == [
            "2024-01-30T12:00:00Z", "2024-03-30T12:00:00Z",
        ])
    }

    @Test("the last minute of the year rolls into the next year")
    func yearBoundary() throws {
        #expect(try fires("59 23 31 12 *", after: "2023-12-31T23:59:00Z", count: 2) == [
            "2024-12-31T23:59:00Z", "2025-12-31T23:59:00Z",
        ])
        #expect(try fires("@yearly", after: "2024-06-01T00:00:00Z", count: 2) == [
            "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
        ])
    }

    @Test("February 29 fires in leap years only, and not in 2100")
    func leapDay() throws {
        #expect(try fires("0 0 29 2 *", after: "2024-03-01T00:00:00Z", count: 2) == [
            "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z",
        ])
        #expect(try fires("0 0 29 2 *", after: "2096-03-01T00:00:00Z") == ["2104-02-29T00:00:00Z"])
        #expect(try fires("0 0 * 2 *", after: "2024-02-28T00:00:00Z", count: 2) == [
            "2024-02-29T00:00:00Z", "2025-02-01T00:00:00Z",
        ])
    }

    @Test("a date that never exists gives no fire time, quickly", .timeLimit(.minutes(1)))
    func impossibleDates() throws {
        let start = try utc("2024-01-01T00:00:00Z")
        for text in ["0 0 30 2 *", "0 0 31 4,6,9,11 *"] {
            let expression = try CronExpression(text)
            #expect(expression.nextFire(after: start, in: try zone("Europe/Berlin")) == nil)
            #expect(expression.nextFires(after: start, count: 3, in: try zone("UTC")).isEmpty)
        }
    }

    @Test("the seconds field fires within the minute")
    func seconds() throws {
        #expect(try fires("*/20 * * * * *", after: "2024-01-01T00:00:05Z", count: 4) == [
            "2024-01-01T00:00:20Z", "2024-01-01T00:00:40Z", "2024-01-01T00:01:00Z", "2024-01-01T00:01:20Z",
        ])
        #expect(try fires("30 0 12 * * *", after: "2024-01-01T12:00:30Z", count: 1) == ["2024-01-02T12:00:30Z"])
    }

    @Test("day-of-month and day-of-week both restricted: either one matches")
    func dayOrWeekday() throws {
        // January 2024: Fridays are the 5th, 12th, 19th and 26th.
        #expect(try fires("0 0 13 * FRI", after: "2024-01-01T00:00:00Z", count: 5) == [
            "2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z",
            "2024-01-19T00:00:00Z", "2024-01-26T00:00:00Z",
        ])
    }

    @Test("day-of-month or day-of-week starting with a star: both must match")
    func dayAndWeekday() throws {
        #expect(try fires("0 0 13 * *", after: "2024-01-01T00:00:00Z", count: 2) == [
            "2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z",
        ])
        // Odd days that are Mondays, as Vixie cron reads `*/2` with a weekday.
        #expect(try fires("0 0 */2 * MON", after: "2023-12-31T00:00:00Z", count: 5) == [
            "2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z", "2024-01-29T00:00:00Z",
            "2024-02-05T00:00:00Z", "2024-02-19T00:00:00Z",
        ])
        // The same days written without a star: every odd day or every Monday.
        #expect(try fires("0 0 1-31/2 * MON", after: "2024-01-01T00:00:00Z", count: 4) == [
            "2024-01-03T00:00:00Z", "2024-01-05T00:00:00Z", "2024-01-07T00:00:00Z", "2024-01-08T00:00:00Z",
        ])
    }

    @Test("Sunday as 0, 7 and SUN")
    func sunday() throws {
        for text in ["0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "@weekly"] {
            #expect(try fires(text, after: "2024-01-01T00:00:00Z", count: 2) == [
                "2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z",
            ])
        }
    }

    @Test("asking for no fire times gives none")
    func zeroCount() throws {
        #expect(try fires("* * * * *", after: "2024-01-01T00:00:00Z", count: 0).isEmpty)
    }
}
