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
