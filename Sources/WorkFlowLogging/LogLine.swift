import Foundation
import Logging

/// One log line as every sink sees it: already masked, metadata flattened to text.
public struct LogLine: Sendable, Equatable {
    /// When the line was logged.
    public var time: Date
    public var level: Logger.Level
    /// The logger's label (`workflow.engine`, `workflow.store`, ...).
    public var label: String
    /// The module that logged the line (swift-log's `source`); the seed's `module` field.
    public var source: String
    /// The function that logged the line.
    public var function: String
    public var message: String
    /// Logger, provider and call-site metadata merged (the call site wins), e.g. `run.id`,
    /// `step.name`, `request.id`.
    public var metadata: [String: String]

    public init(
        time: Date, level: Logger.Level, label: String, source: String = "", function: String = "",
        message: String, metadata: [String: String] = [:]
    ) {
        self.time = time
        self.level = level
        self.label = label
        self.source = source
        self.function = function
        self.message = message
        self.metadata = metadata
    }

    /// The metadata in key order, so that every sink prints it the same way.
    public var sortedMetadata: [(key: String, value: String)] {
        metadata.sorted { $0.key < $1.key }
    }
}

extension Logger.Level {
    /// The seed's (Python's) level name: `DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`.
    /// swift-log's `trace` and `notice` have no Python twin; they read as `DEBUG` and `INFO`
    /// so that the system log's level filter still finds them.
    public var seedName: String {
        switch self {
        case .trace, .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }
}
