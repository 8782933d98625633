import Foundation
import Logging
import Synchronization
import WorkFlowEngine
@testable import WorkFlowLogging

/// 2026-11-28 03:04:05.678 UTC.
let sampleTime = Date(timeIntervalSince1970: 1_795_835_045.678)
let utc = TimeZone(identifier: "UTC")!

func sampleLine(
    _ message: String = "run started", level: Logger.Level = .info, label: String = "workflow.engine",
    metadata: [String: String] = [:], time: Date = sampleTime
) -> LogLine {
    LogLine(
        time: time, level: level, label: label, source: "WorkFlowEngine", function: "execute(recorder:)",
        message: message, metadata: metadata)
}

