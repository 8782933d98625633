import Foundation
import WorkFlowEngine

extension LogLine {
    /// The line in the seed's JSON log format, without the newline:
    /// `{"time": "2026-02-25 10:00:00.123", "level": "INFO", "module": "...", "function": "...",
    /// "message": "..."}`, plus `"metadata": {...}` (keys in order) when there is some.
    ///
    /// Spacing and escaping are those of Python's `json.dumps(..., ensure_ascii=False)`, so the
    /// seed's tools read our files and the system log's message column unchanged.
    public func seedJSON(timeZone: TimeZone) -> String {
        var out = "{\"time\": "
        out.reserveCapacity(96 + message.utf8.count)
        Self.appendJSONString(LogTimestamp.format(time, in: timeZone), to: &out)
        out += ", \"level\": "
        Self.appendJSONString(level.seedName, to: &out)
        out += ", \"module\": "
        Self.appendJSONString(source, to: &out)
        out += ", \"function\": "
        Self.appendJSONString(function, to: &out)
        out += ", \"message\": "
        Self.appendJSONString(message, to: &out)
        if !metadata.isEmpty {
            out += ", \"metadata\": {"
            for (i, entry) in sortedMetadata.enumerated() {
                if i > 0 { out += ", " }
                Self.appendJSONString(entry.key, to: &out)
                out += ": "
                Self.appendJSONString(entry.value, to: &out)
            }
            out += "}"
        }
        out += "}"
        return out
    }

    /// A JSON string literal as Python writes it with `ensure_ascii=False`.
    static func appendJSONString(_ s: String, to out: inout String) {
        JSONWriter.writeString(s, into: &out)
    }
}
