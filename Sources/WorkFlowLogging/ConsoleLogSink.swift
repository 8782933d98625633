import Foundation
import Logging

/// Readable lines on standard error:
/// `2026-11-28 03:04:05.678 INFO  [workflow.engine] run started run.id=42 steps=3`.
public struct ConsoleLogSink: LogSink {
    public let timeZone: TimeZone
    public let colour: Bool
    private let fileDescriptor: Int32

    /// - Parameters:
    ///   - timeZone: the zone times are shown in.
    ///   - colour: colours the level; by default only when the output is a terminal and
    ///     `NO_COLOR` is not set.
    ///   - fileDescriptor: where lines go; standard error by default.
    public init(timeZone: TimeZone = .current, colour: Bool? = nil, fileDescriptor: Int32 = STDERR_FILENO) {
        self.timeZone = timeZone
        self.fileDescriptor = fileDescriptor
        self.colour =
            colour ?? (isatty(fileDescriptor) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }

    public func write(_ lines: [LogLine]) throws {
        var bytes: [UInt8] = []
        for line in lines { bytes.append(contentsOf: format(line).utf8) }
        if let code = FileDescriptorWriter.writeAll(&bytes, to: fileDescriptor) {
            throw LogSinkError(operation: "write to the console", code: code)
        }
    }

    /// The text written for `line`, newline included.
    public func format(_ line: LogLine) -> String {
        var out = LogTimestamp.format(line.time, in: timeZone)
        out += " "
        let name = Self.levelName(line.level)
        let padded = name.count < 5 ? name + String(repeating: " ", count: 5 - name.count) : name
        if colour {
            out += Self.colourCode(line.level) + padded + "\u{1B}[0m"
        } else {
            out += padded
        }
        out += " [" + line.label + "] "
        out += Self.sanitised(line.message)
        for (key, value) in line.sortedMetadata {
            out += " "
            out += Self.sanitised(key)
            out += "="
            out += Self.quotedIfNeeded(value)
        }
        out += "\n"
        return out
    }

    static func levelName(_ level: Logger.Level) -> String {
        level.rawValue.uppercased()
    }

    private static func colourCode(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "\u{1B}[90m"
        case .info: "\u{1B}[32m"
        case .notice: "\u{1B}[36m"
        case .warning: "\u{1B}[33m"
        case .error: "\u{1B}[31m"
        case .critical: "\u{1B}[1;31m"
        }
    }

    /// Control characters other than newline and tab shown escaped, so that a module's output
    /// cannot move the cursor or change the terminal's colours.
    private static func sanitised(_ text: String) -> String {
        guard text.utf8.contains(where: { ($0 < 0x20 && $0 != 0x0A && $0 != 0x09) || $0 == 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A metadata value as is when it reads unambiguously, else as a JSON string.
    private static func quotedIfNeeded(_ value: String) -> String {
        let plain = !value.isEmpty && !value.unicodeScalars.contains {
            $0.properties.isWhitespace || $0 == "\"" || $0 == "=" || $0.value < 0x20 || $0.value == 0x7F
        }
        if plain { return value }
        var out = ""
        LogLine.appendJSONString(value, to: &out)
        return out
    }
}

/// A sink could not do its work.
public struct LogSinkError: Error, CustomStringConvertible {
    public var operation: String
    public var reason: String

    public init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    /// A failed system call, explained by its `errno`.
    init(operation: String, code: Int32) {
        self.init(operation: operation, reason: String(cString: strerror(code)))
    }

    public var description: String {
        "cannot \(operation): \(reason)"
    }
}
