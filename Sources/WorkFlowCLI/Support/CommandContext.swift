import ArgumentParser
import Foundation
import Logging
import WorkFlowConfig
import WorkFlowEngine
import WorkFlowLogging
import WorkFlowModules
import WorkFlowServer
import WorkFlowStore

/// What a command that uses stored data works with: the configuration, the open store, the
/// module registry, the console and a logger. Built once per command by ``CommandContext/open``.
struct CommandContext: Sendable {
    var configuration: Configuration
    var store: SQLStore
    /// Built-in and custom modules, loaded when the command starts.
    var modules: ModuleLibrary
    var registry: ModuleRegistry
    var console: any Console
    var json: Bool
    var verbose: Bool
    /// Makes loggers whose lines go to the console (warnings, or everything with --verbose), the
    /// log file and the system log table.
    var logging: LoggingSetup
    /// The system settings in force: stored settings over the configuration's defaults.
    var settings: EffectiveSettings

    /// A logger whose lines reach every sink.
    func logger(_ label: String) -> Logger {
        logging.logger(label: label)
    }

    /// Loads the configuration, opens (and migrates) the store, runs `body`, and closes the store
    /// whatever happens. Configuration warnings go to standard error.
    static func with<T: Sendable>(
        _ options: GlobalOptions, console: any Console = CommandIO.console,
        _ body: (CommandContext) async throws -> T
    ) async throws -> T {
        let loaded: ConfigurationLoader.Loaded
        do {
            loaded = try ConfigurationLoader().load(file: options.configFile, overrides: options.overrides)
        } catch {
            console.err("workflow: the configuration is not valid:\n\(error.issues.map { "  \($0.source): \($0.message)" }.joined(separator: "\n"))\n")
            throw ExitCode(WorkFlowCommand.invalidExitCode)
        }
        for warning in loaded.warnings {
            console.err("workflow: warning: \(warning.source): \(warning.message)\n")
        }
        let configuration = loaded.configuration
        let timeZone = TimeZone(identifier: configuration.timezone) ?? .gmt
        let level = Logger.Level(rawValue: configuration.log.level) ?? .info
        let logFolder = URL(fileURLWithPath: configuration.logFilePath).deletingLastPathComponent().path
        let localSinks = [
            LogSinkRoute(ConsoleLogSink(timeZone: timeZone), name: "console", minimumLevel: options.verbose ? nil : .warning),
            LogSinkRoute(
                RotatingFileLogSink(
                    directory: logFolder, fileName: URL(fileURLWithPath: configuration.logFilePath).lastPathComponent,
                    maxBytes: configuration.log.rotateMaxSize, backupCount: configuration.log.rotateBackupCount, timeZone: timeZone),
                name: "file"),
        ]
        // The store logs only to the console and the file: its own lines never go back into it.
        let storeLogger = LoggingSetup(minimumLevel: level, sinks: localSinks).logger(label: "workflow.store")
        let store: SQLStore
        do {
            store = try await Store.open(url: configuration.effectiveDatabaseURL, logger: storeLogger)
        } catch {
            console.err("workflow: cannot open the database \(Self.redacted(configuration.effectiveDatabaseURL)): \(error)\n")
            throw ExitCode(1)
        }
        let settings = await Self.effectiveSettings(configuration, store: store, console: console)
        let storeSink = StoreLogSink { lines in try await store.appendLogs(lines.map(LogEntry.init(line:))) }
        let logging = LoggingSetup(minimumLevel: level, sinks: localSinks + [LogSinkRoute(storeSink, name: "store")])
        let modules = ModuleLibrary(
            store: store, builtins: BuiltinModules.registry(), folder: URL(fileURLWithPath: configuration.modulesPath),
            python: configuration.python, logger: logging.logger(label: "workflow.modules"))
        let registry: ModuleRegistry
        do {
            registry = try await modules.refresh()
        } catch {
            console.err("workflow: warning: cannot load the custom modules: \(error)\n")
            registry = modules.registry()
        }
        let context = CommandContext(
            configuration: configuration, store: store, modules: modules, registry: registry, console: console,
            json: options.json, verbose: options.verbose, logging: logging, settings: settings)
        let consumer = Task { await storeSink.run() }
        func finish() async {
            await storeSink.shutdown()
            consumer.cancel()
            await consumer.value
            logging.flush()
            await store.close()
        }
        do {
            await context.closeRunsOfDeadProcesses()
            await context.purgeOldLogs()
            let result = try await body(context)
            await finish()
            return result
        } catch let error as StoreError {
            await finish()
            throw context.fail(error.description)
        } catch {
            await finish()
            throw error
        }
    }

    /// The configuration's defaults with the stored system settings applied. When the settings
    /// cannot be read the defaults hold, with a warning: a command is not refused for that.
    static func effectiveSettings(_ configuration: Configuration, store: SQLStore, console: any Console) async -> EffectiveSettings {
        let defaults = EffectiveSettings(
            timeZone: TimeZone(identifier: configuration.timezone) ?? .gmt, logRetentionDays: configuration.log.retentionDays)
        do {
            return defaults.applying(try await store.settings())
        } catch {
            console.err("workflow: warning: could not read the system settings, using the configuration's: \(error)\n")
            return defaults
        }
    }

    /// Removes system log lines older than the retention setting.
    func purgeOldLogs() async {
        let janitor = LogJanitor(
            retentionDays: settings.logRetentionDays, logger: logger("workflow.logging"),
            purge: { [store] cutoff in try await store.purgeLogs(olderThan: cutoff) })
        _ = try? await janitor.purgeOnce()
    }

    /// Closes, as interrupted, the runs left `running` by `workflow` processes on this host that
    /// no longer exist (killed, or the machine restarted), so the history never shows a run
    /// running forever.
    func closeRunsOfDeadProcesses() async {
        do {
            let running = try await store.listRuns(RunQuery(status: .running, limit: 1000))
            let deadNodes = Set(running.compactMap(\.node).filter(RunNode.isDeadLocalProcess))
            var expired = 0
            for node in deadNodes.sorted() {
                // Runs a dead server had claimed from the queue: their leases end now and the
                // reaper below fails or requeues them (the workflow's on_interrupt).
                expired += try await store.expireLeases(node: node, now: Date())
                let closed = try await store.closeInterruptedRuns(node: node, now: Date())
                if closed > 0 && !json {
                    console.err("workflow: closed \(closed) run\(closed == 1 ? "" : "s") of a stopped process (\(node)) as interrupted\n")
                }
            }
            if expired > 0 {
                let reaped = try await store.reapExpiredLeases(now: Date())
                if !json {
                    console.err(
                        "workflow: runs a stopped server had claimed: \(reaped.failed.count) failed as interrupted, \(reaped.requeued.count) queued again\n")
                }
            }
        } catch {
            console.err("workflow: warning: could not check for interrupted runs: \(error)\n")
        }
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: colon..<at, with: ":******")
    }

    /// Prints `value` as JSON when `--json` was given, otherwise `text()`.
    func output(_ value: @autoclosure () -> JSONValue, text: () -> String) {
        if json {
            console.out(JSONWriter.prettyString(from: value()) + "\n")
        } else {
            console.out(text())
        }
    }

    /// Reports a failure the user can act on and ends the command with `code`.
    func fail(_ message: String, code: Int32 = 1) -> ExitCode {
        if json {
            console.out(JSONWriter.prettyString(from: ["status": false, "error": .string(message)]) + "\n")
        } else {
            console.err("workflow: \(message)\n")
        }
        return ExitCode(code)
    }

    /// A time for people: `2026-11-28 03:04:05` in the system's time zone (the `timezone`
    /// setting, else the configuration's).
    func display(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
                timeZone: settings.timeZone, calendar: Calendar(identifier: .gregorian)))
    }
}
