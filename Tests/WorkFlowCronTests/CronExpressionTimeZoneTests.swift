import Foundation
import Testing
@testable import WorkFlowCron

@Suite("Next fire times on a local wall clock")
struct CronExpressionTimeZoneTests {
    // Europe/Berlin, 2024-03-31: clocks jump from 02:00 CET to 03:00 CEST at 01:00 UTC.
    @Test("Berlin spring-forward: a skipped time fires once when the gap ends")
    func berlinSpringForward() throws {
        #expect(try fires("30 2 * * *", after: "2024-03-30T12:00:00Z", count: 2, in: "Europe/Berlin") == [
            "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z",
        ])
        #expect(try fires("0 3 * * *", after: "2024-03-30T12:00:00Z", in: "Europe/Berlin") == ["2024-03-31T01:00:00Z"])
    }

    @Test("Berlin spring-forward: several skipped times fire together, once")
    func berlinSpringForwardFrequent() throws {
        // 01:30, 01:45 CET; 02:00–02:45 do not exist and fire with 03:00 CEST; then 03:15 CEST.
        #expect(try fires("*/15 * * * *", after: "2024-03-31T00:20:00Z", count: 4, in: "Europe/Berlin") == [
            "2024-03-31T00:30:00Z", "2024-03-31T00:45:00Z", "2024-03-31T01:00:00Z", "2024-03-31T01:15:00Z",
        ])
    }

    // Europe/Berlin, 2024-10-27: clocks go back from 03:00 CEST to 02:00 CET at 01:00 UTC.
    @Test("Berlin fall-back: a repeated time fires at its first occurrence only")
    func berlinFallBack() throws {
        #expect(try fires("30 2 * * *", after: "2024-10-26T12:00:00Z", count: 2, in: "Europe/Berlin") == [
            "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z",
        ])
        // From inside the second 02:00–03:00 hour, 02:30 has already fired today.
        #expect(try fires("30 2 * * *", after: "2024-10-27T01:15:00Z", in: "Europe/Berlin") == ["2024-10-28T01:30:00Z"])
    }

    @Test("Berlin fall-back: the repeated hour does not fire twice")
    func berlinFallBackFrequent() throws {
        // 01:30, 02:00, 02:30 CEST; 02:00 and 02:30 CET repeat and are passed over; 03:00 CET.
        #expect(try fires("*/30 * * * *", after: "2024-10-26T23:10:00Z", count: 4, in: "Europe/Berlin") == [
            "2024-10-26T23:30:00Z", "2024-10-27T00:00:00Z", "2024-10-27T00:30:00Z", "2024-10-27T02:00:00Z",
        ])
    }

    // America/New_York, 2024-03-10: 02:00 EST jumps to 03:00 EDT at 07:00 UTC.
    @Test("New York spring-forward: 02:30 fires at 03:00 EDT")
    func newYorkSpringForward() throws {
        #expect(try fires("30 2 * * *", after: "2024-03-09T12:00:00Z", count: 2, in: "America/New_York") == [
            "2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z",
        ])
        #expect(try fires("0 * * * *", after: "2024-03-10T06:30:00Z", count: 2, in: "America/New_York") == [
            "2024-03-10T07:00:00Z", "2024-03-10T08:00:00Z",
        ])
    }

    // America/New_York, 2024-11-03: 02:00 EDT goes back to 01:00 EST at 06:00 UTC.
    @Test("New York fall-back: 01:30 fires once, in EDT")
    func newYorkFallBack() throws {
        #expect(try fires("30 1 * * *", after: "2024-11-02T12:00:00Z", count: 2, in: "America/New_York") == [
            "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z",
        ])
        // Hourly: 01:00 EDT, then 01:00 EST is passed over, then 02:00 EST.
        #expect(try fires("0 * * * *", after: "2024-11-03T04:30:00Z", count: 3, in: "America/New_York") == [
            "2024-11-03T05:00:00Z", "2024-11-03T07:00:00Z", "2024-11-03T08:00:00Z",
        ])
    }

    @Test("Kolkata's half-hour offset shifts every fire time by 5:30")
    func kolkata() throws {
        #expect(try fires("0 9 * * *", after: "2024-01-01T00:00:00Z", count: 2, in: "Asia/Kolkata") == [
            "2024-01-01T03:30:00Z", "2024-01-02T03:30:00Z",
        ])
        #expect(try fires("@daily", after: "2024-01-01T00:00:00Z", in: "Asia/Kolkata") == ["2024-01-01T18:30:00Z"])
        #expect(try fires("@hourly", after: "2024-01-01T00:00:00Z", count: 2, in: "Asia/Kolkata") == [
            "2024-01-01T00:30:00Z", "2024-01-01T01:30:00Z",
        ])
    }

    // America/Sao_Paulo, 2018-11-04: midnight -03 jumped to 01:00 -02 at 03:00 UTC.
    @Test("a skipped midnight fires at the first instant of the day")
    func skippedMidnight() throws {
        #expect(try fires("@daily", after: "2018-11-03T00:00:00Z", count: 3, in: "America/Sao_Paulo") == [
            "2018-11-03T03:00:00Z", "2018-11-04T03:00:00Z", "2018-11-05T02:00:00Z",
        ])
    }

    @Test("a wall-clock time is resolved to its instants")
    func wallClockResolution() throws {
        let berlin = try zone("Europe/Berlin")
        let unique = berlin.instant(of: LocalDateTime(year: 2024, month: 7, day: 1, hour: 12))
        let skipped = berlin.instant(of: LocalDateTime(year: 2024, month: 3, day: 31, hour: 2, minute: 30))
        let repeated = berlin.instant(of: LocalDateTime(year: 2024, month: 10, day: 27, hour: 2, minute: 30))
        #expect(unique == .unique(Int(try utc("2024-07-01T10:00:00Z").timeIntervalSince1970)))
        #expect(skipped == .skipped(gapEnd: Int(try utc("2024-03-31T01:00:00Z").timeIntervalSince1970)))
        #expect(repeated == .repeated(
            first: Int(try utc("2024-10-27T00:30:00Z").timeIntervalSince1970),
            second: Int(try utc("2024-10-27T01:30:00Z").timeIntervalSince1970)
        ))
    }

    @Test("wall-clock arithmetic round-trips through seconds and knows weekdays", arguments: [
        ("1970-01-01T00:00:00Z", 4), ("2000-02-29T23:59:59Z", 2), ("2024-12-31T12:00:00Z", 2),
        ("1969-12-31T23:59:59Z", 3), ("2100-03-01T00:00:00Z", 1),
    ])
    func wallClockArithmetic(text: String, weekday: Int) throws {
        let seconds = Int(try utc(text).timeIntervalSince1970)
        let local = LocalDateTime(wallSeconds: seconds)
        #expect(local.wallSeconds == seconds)
        #expect(local.weekday == weekday)
        let components = Calendar(identifier: .gregorian).dateComponents(in: try zone("UTC"), from: try utc(text))
        #expect([local.year, local.month, local.day, local.hour, local.minute, local.second] as [Int?]
            == [components.year, components.month, components.day, components.hour, components.minute, components.second])
    }
}
