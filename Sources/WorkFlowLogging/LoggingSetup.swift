import Foundation
import Logging
import WorkFlowEngine

/// Everything a process needs to make its loggers: the minimum level, the sinks and the
/// masker. Built once in the composition root; library code never bootstraps swift-log.
///
/// ```swift
/// let logger = Logger(label: "workflow.engine", factory: setup.factory)
/// ```
public struct LoggingSetup: Sendable {
    public var minimumLevel: Logger.Level
    public let fanOut: LogFanOut
    public var metadataProvider: Logger.MetadataProvider?
    private let clock: any EngineClock
    private let reporter: LogSinkFailureReporter

    /// - Parameters:
    ///   - minimumLevel: lines below it are dropped before any sink is asked.
    ///   - masker: the secrets to hide, asked for every line (for example `{ runSecrets.masker }`).
    ///   - clock: the time stamped on lines.
    public init(
        minimumLevel: Logger.Level = .info, sinks: [LogSinkRoute],
        masker: @escaping @Sendable () -> SecretMasker = { SecretMasker() }, clock: any EngineClock = SystemClock(),
        metadataProvider: Logger.MetadataProvider? = nil, reporter: LogSinkFailureReporter = LogSinkFailureReporter()
    ) {
        self.minimumLevel = minimumLevel
        self.fanOut = LogFanOut(routes: sinks, masker: masker, reporter: reporter)
        self.clock = clock
        self.metadataProvider = metadataProvider
        self.reporter = reporter
    }

    /// A setup whose masker follows a shared `RunSecrets`, so secrets added during a run are
    /// hidden from then on.
    public init(
        minimumLevel: Logger.Level = .info, sinks: [LogSinkRoute], secrets: RunSecrets,
        clock: any EngineClock = SystemClock(), metadataProvider: Logger.MetadataProvider? = nil,
        reporter: LogSinkFailureReporter = LogSinkFailureReporter()
    ) {
        self.init(
            minimumLevel: minimumLevel, sinks: sinks, masker: { secrets.masker }, clock: clock,
            metadataProvider: metadataProvider, reporter: reporter)
    }

    /// The handler for a logger labelled `label`.
    public func makeHandler(label: String) -> FanOutLogHandler {
        FanOutLogHandler(
            label: label, fanOut: fanOut, logLevel: minimumLevel, clock: clock, metadataProvider: metadataProvider)
    }

    /// The factory for `Logger(label:factory:)`, or for one `LoggingSystem.bootstrap` call in
    /// an executable.
    public var factory: @Sendable (String) -> any LogHandler {
        { label in self.makeHandler(label: label) }
    }

    /// A logger labelled `label`.
    public func logger(label: String) -> Logger {
        Logger(label: label, factory: factory)
    }

    /// Flushes the sinks and reports lines lost since the last failure report; for the end
    /// of the process (the store sink's own `shutdown()` is awaited separately).
    public func flush() {
        fanOut.flush()
        reporter.reportPending()
    }
}
