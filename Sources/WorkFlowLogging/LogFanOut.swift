import Foundation
import Logging
import WorkFlowEngine

/// A sink with its name (for failure reports) and, optionally, a minimum level of its own.
public struct LogSinkRoute: Sendable {
    public var name: String
    public var sink: any LogSink
    /// Lines below this level skip the sink. It can only narrow the setup's own level, which
    /// `Logger` applies before any sink is asked.
    public var minimumLevel: Logger.Level?

    public init(_ sink: any LogSink, name: String, minimumLevel: Logger.Level? = nil) {
        self.sink = sink
        self.name = name
        self.minimumLevel = minimumLevel
    }
}

/// Masks each line and hands it to every sink whose level it reaches. A sink that throws
/// loses that line and nothing else: the caller and the other sinks never notice.
public struct LogFanOut: Sendable {
    public let routes: [LogSinkRoute]
    private let masker: @Sendable () -> SecretMasker
    private let reporter: LogSinkFailureReporter

    /// - Parameters:
    ///   - masker: called for every line, so secrets learned after start-up are masked too.
    ///   - reporter: told about sink failures.
    public init(
        routes: [LogSinkRoute], masker: @escaping @Sendable () -> SecretMasker,
        reporter: LogSinkFailureReporter = LogSinkFailureReporter()
    ) {
        self.routes = routes
        self.masker = masker
        self.reporter = reporter
    }

    /// Masks `line` and writes it to the sinks.
    public func publish(_ line: LogLine) {
        let masked = Self.mask(line, with: masker())
        for route in routes where route.minimumLevel.map({ masked.level >= $0 }) ?? true {
            do {
                try route.sink.write([masked])
            } catch {
                reporter.lost(1, sink: route.name, reason: "\(error)")
            }
        }
    }

    /// Flushes every sink, containing failures like `publish`.
    public func flush() {
        for route in routes {
            do {
                try route.sink.flush()
            } catch {
                reporter.lost(0, sink: route.name, reason: "flush failed: \(error)")
            }
        }
    }

    /// `line` with known secrets hidden in the message and in metadata values, and the whole
    /// value hidden for metadata keys that name a secret (`db.password`, `api_token`).
    public static func mask(_ line: LogLine, with masker: SecretMasker) -> LogLine {
        var out = line
        out.message = masker.mask(line.message)
        for (key, value) in line.metadata {
            out.metadata[key] = SecretMasker.isSensitive(name: key) ? SecretMasker.mask : masker.mask(value)
        }
        return out
    }
}
