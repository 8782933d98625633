import Foundation
import Testing

@testable import WorkFlowServer

@Suite("UTC date texts")
struct UTCTextTests {
    @Test("known dates in each format")
    func knownDates() {
        let date = Date(timeIntervalSince1970: 1_772_013_600.123)  // 2026-02-25 10:00:00.123 UTC, a Wednesday
        #expect(UTCText.iso8601(date) == "2026-02-25T10:00:00.123Z")
        #expect(UTCText.rfc1123(date) == "Wed, 25 Feb 2026 10:00:00 GMT")
        #expect(UTCText.python(date) == "2026-02-25 10:00:00.123000")
        #expect(UTCText.iso8601(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(UTCText.iso8601(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(UTCText.rfc1123(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(UTCText.rfc1123(Date(timeIntervalSince1970: 4_107_542_400)) == "Mon, 01 Mar 2100 00:00:00 GMT")
    }

    @Test("agrees with Foundation's calendar over four centuries of days")
    func agreesWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // Every 997th day from 1800 to 2200, at a time of day that moves with the day.
        var seconds: Int64 = -5_364_662_400
        while seconds < 7_258_118_400 {
            let milliseconds = seconds * 1000 + (seconds / 86_400 % 86_400_000 + 86_400_000) % 86_400_000
            let date = Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond, .weekday], from: date)
            let f = UTCText.fields(date)
            #expect(f.year == c.year && f.month == c.month && f.day == c.day, "\(date)")
            #expect(f.hour == c.hour && f.minute == c.minute && f.second == c.second, "\(date)")
            #expect(f.millisecond == Int((Double(c.nanosecond!) / 1_000_000).rounded()) % 1000, "\(date)")
            #expect(f.weekday == c.weekday! - 1, "\(date)")
            seconds += 997 * 86_400 + 3_661
        }
    }
}
