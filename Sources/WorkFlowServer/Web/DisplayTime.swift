import Foundation
import WorkFlowStore

/// Times as pages show them: in the configured time zone (the `timezone` setting), to the
/// second, and "3 min ago" for recent ones. Stored times stay UTC.
struct DisplayTime: Sendable {
    var timeZone: TimeZone
    var now: Date

    /// `2026-12-01 14:05:09`.
    func text(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
    }

    /// `just now`, `5 min ago`, `3 h ago`, `2 days ago`, then the date.
    func relative(_ date: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date))
        switch seconds {
        case ..<45: return "just now"
        case ..<3600: return "\(max(1, (seconds + 30) / 60)) min ago"
        case ..<86_400: return "\(seconds / 3600) h ago"
        case ..<(7 * 86_400): return seconds / 86_400 == 1 ? "yesterday" : "\(seconds / 86_400) days ago"
        default: return String(text(date).prefix(10))
        }
    }

    /// `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 4 min`.
    static func duration(milliseconds: Int) -> String {
        switch milliseconds {
        case ..<1000: return "\(milliseconds) ms"
        case ..<60_000: return String(format: "%.1f s", Double(milliseconds) / 1000)
        case ..<3_600_000: return "\(milliseconds / 60_000) min \(milliseconds / 1000 % 60) s"
        default: return "\(milliseconds / 3_600_000) h \(milliseconds / 60_000 % 60) min"
        }
    }
}

/// What the pages share: the store and the settings that shape what they show.
struct WebEnvironment: Sendable {
    let store: SQLStore
    let defaults: EffectiveSettings
    let now: @Sendable () -> Date
    let secureCookies: Bool

    /// The live workflow the page names; a friendly 404 when there is none (any more).
    func liveFlow(named name: String) async throws -> StoredFlow {
        guard let flow = try await store.flow(named: name), !flow.deleted else {
            throw APIError.notFound("There is no workflow named '\(name)'. It may have been renamed or deleted.")
        }
        return flow
    }

    /// The time zone setting as it is now (an unreadable setting falls back to the default).
    func displayTime() async -> DisplayTime {
        let stored = (try? await store.settings()) ?? [:]
        return DisplayTime(timeZone: defaults.applying(stored).timeZone, now: now())
    }
}
