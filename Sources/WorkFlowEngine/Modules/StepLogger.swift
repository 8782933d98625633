import Foundation
import Logging
import Synchronization

/// One line a step logged.
public struct StepLogLine: Sendable, Equatable {
    public var time: Date
    public var level: Logger.Level
    public var message: String

    public init(time: Date, level: Logger.Level, message: String) {
        self.time = time
        self.level = level
        self.message = message
    }
}

/// The logger a module writes to: lines are kept for the step's record (up to a cap, so a chatty
/// module cannot exhaust memory) and forwarded to the run's swift-log logger.
public final class StepLogger: Sendable {
    /// Lines kept per step; later lines are counted but dropped from the record.
    public static let defaultLineLimit = 1_000

    private let state = Mutex(State())
    private let forward: Logger
    private let clock: any EngineClock
    private let lineLimit: Int
    private let secrets: RunSecrets

    private struct State {
        var lines: [StepLogLine] = []
        var dropped = 0
    }

    public init(forwardingTo logger: Logger, clock: any EngineClock, secrets: RunSecrets = RunSecrets(), lineLimit: Int = StepLogger.defaultLineLimit) {
        self.forward = logger
        self.clock = clock
        self.lineLimit = lineLimit
        self.secrets = secrets
    }

    public func log(_ level: Logger.Level, _ message: String) {
        let text = secrets.masker.mask(message)
        forward.log(level: level, "\(text)")
        let line = StepLogLine(time: clock.now(), level: level, message: text)
        state.withLock { state in
            if state.lines.count < lineLimit {
                state.lines.append(line)
            } else {
                state.dropped += 1
            }
        }
    }

    public func debug(_ message: String) { log(.debug, message) }
    public func info(_ message: String) { log(.info, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func error(_ message: String) { log(.error, message) }

    /// The kept lines, plus a closing line saying how many were dropped, if any.
    public var lines: [StepLogLine] {
        state.withLock { state in
            guard state.dropped > 0 else { return state.lines }
            return state.lines + [
                StepLogLine(
                    time: state.lines.last?.time ?? clock.now(), level: .warning,
                    message: "\(state.dropped) more log line(s) dropped: a step keeps at most \(lineLimit)")
            ]
        }
    }
}
