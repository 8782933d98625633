import Foundation
import Testing
@testable import WorkFlowCron

/// An instant from UTC ISO 8601 text (`2024-01-01T09:00:00Z`).
func utc(_ text: String) throws -> Date {
    try Date.ISO8601FormatStyle().parse(text)
}

/// An instant as UTC ISO 8601 text, so that expectations read as exact times.
func utcText(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle())
}

/// A time zone by its IANA identifier.
func zone(_ identifier: String) throws -> TimeZone {
    try #require(TimeZone(identifier: identifier))
}

/// The next `count` fire times of `expression` after `after`, as UTC text.
func fires(_ expression: String, after: String, count: Int = 1, in timeZone: String = "UTC") throws -> [String] {
    try CronExpression(expression).nextFires(after: utc(after), count: count, in: zone(timeZone)).map(utcText)
}
