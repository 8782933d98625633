import Foundation
import Logging

/// One line of the system log.
public struct LogEntry: Sendable, Hashable {
    /// Set once stored.
    public var id: Int64?
    public var time: Date
    public var level: Logger.Level
    /// The swift-log label (`workflow.engine`, `workflow.server`, ...).
    public var logger: String
    public var message: String
    public var runID: Int64?
    public var stepName: String?

    public init(
        id: Int64? = nil, time: Date, level: Logger.Level, logger: String, message: String, runID: Int64? = nil,
        stepName: String? = nil
    ) {
        self.id = id
        self.time = time
        self.level = level
        self.logger = logger
        self.message = message
        self.runID = runID
        self.stepName = stepName
    }
}

/// Which log lines ``LogStore/logs(_:)`` returns, newest first.
public struct LogQuery: Sendable, Hashable {
    /// Lines at this level or more severe.
    public var minimumLevel: Logger.Level?
    /// Lines at or after this time.
    public var since: Date?
    public var runID: Int64?
    public var limit: Int

    public init(minimumLevel: Logger.Level? = nil, since: Date? = nil, runID: Int64? = nil, limit: Int = 100) {
        self.minimumLevel = minimumLevel
        self.since = since
        self.runID = runID
        self.limit = limit
    }
}

/// The system log table.
public protocol LogStore: Sendable {
    func appendLogs(_ entries: [LogEntry]) async throws(StoreError)
    func logs(_ query: LogQuery) async throws(StoreError) -> [LogEntry]
    func purgeLogs(olderThan cutoff: Date) async throws(StoreError) -> Int
}
