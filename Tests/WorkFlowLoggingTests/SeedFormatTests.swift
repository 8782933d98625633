import Foundation
import Logging
import Testing
@testable import WorkFlowLogging

@Suite("the seed's JSON log line")
struct SeedFormatTests {
    @Test("a line without metadata has exactly the seed's fields, spacing and order")
    func plainLine() {
        #expect(
            sampleLine().seedJSON(timeZone: utc)
                == #"{"time": "2026-11-28 03:04:05.678", "level": "INFO", "module": "WorkFlowEngine", "function": "execute(recorder:)", "message": "run started"}"#
        )
    }

    @Test("quotes, backslashes and control characters are escaped like Python's json.dumps; non-ASCII is kept")
    func escaping() {
        let line = sampleLine("say \"hi\"\n\tC:\\tmp \u{1B}[31m \u{08}\u{0C}\r é ✓ 🚀 </script>")
        #expect(
            line.seedJSON(timeZone: utc)
                == #"{"time": "2026-11-28 03:04:05.678", "level": "INFO", "module": "WorkFlowEngine", "function": "execute(recorder:)", "message": "say \"hi\"\n\tC:\\tmp \u001b[31m \b\f\r é ✓ 🚀 </script>"}"#
        )
    }

    @Test("metadata follows the message, keys in order, values as strings")
    func metadata() {
        let line = sampleLine(metadata: ["step.name": "fetch \"a\"", "run.id": "42", "request.id": "r-1"])
        #expect(
            line.seedJSON(timeZone: utc)
                == #"{"time": "2026-11-28 03:04:05.678", "level": "INFO", "module": "WorkFlowEngine", "function": "execute(recorder:)", "message": "run started", "metadata": {"request.id": "r-1", "run.id": "42", "step.name": "fetch \"a\""}}"#
        )
    }

    @Test("levels read as the seed's five Python names")
    func levels() {
        let names = Logger.Level.allCases.map(\.seedName)
        #expect(names == ["DEBUG", "DEBUG", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL"])
    }

    @Test("times are shown in the given zone, milliseconds truncated, across day and year boundaries")
    func times() {
        let plusTwo = TimeZone(secondsFromGMT: 2 * 3600)!
        #expect(LogTimestamp.format(sampleTime, in: plusTwo) == "2026-11-28 05:04:05.678")
        let newYear = Date(timeIntervalSince1970: 1_798_761_599.9999)  // 2026-12-31 23:59:59.9999 UTC
        #expect(LogTimestamp.format(newYear, in: utc) == "2026-12-31 23:59:59.999")
        #expect(LogTimestamp.format(newYear, in: plusTwo) == "2027-01-01 01:59:59.999")
        #expect(LogTimestamp.format(Date(timeIntervalSince1970: -0.5), in: utc) == "1969-12-31 23:59:59.500")
        #expect(LogTimestamp.format(Date(timeIntervalSince1970: 951_782_400), in: utc) == "2000-02-29 00:00:00.000")
    }

    @Test("a zone with daylight saving time uses the offset in force at that instant")
    func daylightSaving() throws {
        let paris = try #require(TimeZone(identifier: "Europe/Paris"))
        let summer = Date(timeIntervalSince1970: 1_782_907_200)  // 2026-07-01 12:00:00 UTC
        #expect(LogTimestamp.format(summer, in: paris) == "2026-07-01 14:00:00.000")
        #expect(LogTimestamp.format(sampleTime, in: paris) == "2026-11-28 04:04:05.678")
    }
}
