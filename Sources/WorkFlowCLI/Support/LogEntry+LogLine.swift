import WorkFlowLogging
import WorkFlowStore

extension LogEntry {
    /// A log line as the system log table keeps it: run and step in their own columns, other
    /// metadata after the message as `key=value`.
    init(line: LogLine) {
        var message = line.message
        let extra = line.sortedMetadata.filter { $0.key != "run.id" && $0.key != "step.name" }
        if !extra.isEmpty { message += " " + extra.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        self.init(
            time: line.time, level: line.level, logger: line.label, message: message,
            runID: line.metadata["run.id"].flatMap { Int64($0) }, stepName: line.metadata["step.name"])
    }
}
