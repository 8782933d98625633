import Foundation

/// Slows down password guessing: after `allowedFailures` failed sign-ins for the same user
/// name, or from the same address, within `window`, further attempts are refused for a lockout
/// that doubles with each further failure (up to `maximumLockout`). A successful sign-in clears
/// the user name's record. State is per process; several nodes each keep their own.
public actor LoginThrottle {
    private struct Record {
        var failures: [Date] = []
        var lockedUntil: Date?
        var lockouts = 0
    }

    public let allowedFailures: Int
    public let window: TimeInterval
    public let firstLockout: TimeInterval
    public let maximumLockout: TimeInterval
    private let now: @Sendable () -> Date
    private var records: [String: Record] = [:]

    public init(
        allowedFailures: Int = 5, window: TimeInterval = 15 * 60, firstLockout: TimeInterval = 60,
        maximumLockout: TimeInterval = 15 * 60, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.allowedFailures = allowedFailures
        self.window = window
        self.firstLockout = firstLockout
        self.maximumLockout = maximumLockout
        self.now = now
    }

    /// Seconds the caller must wait before trying again, or `nil` when they may try now.
    public func waitTime(username: String, address: String?) -> Int? {
        let keys = Self.keys(username: username, address: address)
        let time = now()
        let waits = keys.compactMap { records[$0]?.lockedUntil }.filter { $0 > time }.map { $0.timeIntervalSince(time) }
        return waits.max().map { Int($0.rounded(.up)) }
    }

    public func recordFailure(username: String, address: String?) {
        let time = now()
        for key in Self.keys(username: username, address: address) {
            var record = records[key] ?? Record()
            record.failures = record.failures.filter { time.timeIntervalSince($0) < window } + [time]
            if record.failures.count >= allowedFailures {
                let lockout = min(maximumLockout, firstLockout * pow(2, Double(record.lockouts)))
                record.lockedUntil = time.addingTimeInterval(lockout)
                record.lockouts += 1
                record.failures = []
            }
            records[key] = record
        }
        prune(at: time)
    }

    public func recordSuccess(username: String) {
        records["user:\(username.lowercased())"] = nil
    }

    private static func keys(username: String, address: String?) -> [String] {
        ["user:\(username.lowercased())"] + (address.map { ["ip:\($0)"] } ?? [])
    }

    /// Forgets records with nothing left to remember, so the table cannot grow without bound.
    private func prune(at time: Date) {
        guard records.count > 10_000 else { return }
        records = records.filter { _, record in
            (record.lockedUntil.map { $0 > time } ?? false) || record.failures.contains { time.timeIntervalSince($0) < window }
        }
    }
}
