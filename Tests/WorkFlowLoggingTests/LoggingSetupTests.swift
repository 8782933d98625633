import Foundation
import Logging
import Testing
import WorkFlowEngine
@testable import WorkFlowLogging

@Suite("logging setup and handler")
struct LoggingSetupTests {
    @Test("a logger made from the setup publishes lines with label, source, function, time and merged metadata")
    func linesCarryEverything() throws {
        let memory = MemoryLogSink()
        let clock = ManualClock(start: sampleTime)
        let setup = LoggingSetup(
            minimumLevel: .debug, sinks: [LogSinkRoute(memory, name: "memory")], clock: clock,
            metadataProvider: Logger.MetadataProvider { ["request.id": "r-7"] })
        var logger = Logger(label: "workflow.engine", factory: setup.factory)
        logger[metadataKey: "run.id"] = "42"
        logger.info("step finished", metadata: ["step.name": "fetch", "attempts": .stringConvertible(2)])
        let line = try #require(memory.lines.first)
        #expect(line.time == sampleTime)
        #expect(line.level == .info)
        #expect(line.label == "workflow.engine")
        #expect(line.source == "WorkFlowLoggingTests")
        #expect(line.function == "linesCarryEverything()")
        #expect(line.message == "step finished")
        #expect(line.metadata == ["run.id": "42", "request.id": "r-7", "step.name": "fetch", "attempts": "2"])
    }

    @Test("lines below the minimum level reach no sink; a sink's own level narrows further")
    func levelFiltering() {
        let everything = MemoryLogSink()
        let errorsOnly = MemoryLogSink()
        let setup = LoggingSetup(
            minimumLevel: .info,
            sinks: [LogSinkRoute(everything, name: "all"), LogSinkRoute(errorsOnly, name: "errors", minimumLevel: .error)])
        let logger = setup.logger(label: "workflow")
        logger.debug("hidden")
        logger.info("shown")
        logger.error("broken")
        logger.critical("worse")
        #expect(everything.lines.map(\.message) == ["shown", "broken", "worse"])
        #expect(errorsOnly.lines.map(\.message) == ["broken", "worse"])
    }

    @Test("secrets learned after the logger was made are masked in messages and metadata values")
    func masksSecretsFromTheProvider() {
        let memory = MemoryLogSink()
        let secrets = RunSecrets()
        let setup = LoggingSetup(minimumLevel: .info, sinks: [LogSinkRoute(memory, name: "memory")], secrets: secrets)
        let logger = setup.logger(label: "workflow.step")
        logger.info("connect as admin:hunter22")
        secrets.add(["hunter22"])
        logger.info("connect as admin:hunter22", metadata: ["url": "mysql://admin:hunter22@db"])
        #expect(memory.lines.map(\.message) == ["connect as admin:hunter22", "connect as admin:******"])
        #expect(memory.lines[1].metadata["url"] == "mysql://admin:******@db")
    }

    @Test("values of secret-named metadata are hidden whole, also inside nested dictionaries")
    func masksSecretNamedMetadata() {
        let memory = MemoryLogSink()
        let setup = LoggingSetup(minimumLevel: .info, sinks: [LogSinkRoute(memory, name: "memory")])
        let logger = setup.logger(label: "workflow")
        logger.info(
            "connecting",
            metadata: [
                "db.password": "pass", "API_TOKEN": "abc123", "user": "root",
                "params": ["host": "db", "passwd": "s3cret"],
            ])
        #expect(
            memory.lines.first?.metadata
                == ["db.password": "******", "API_TOKEN": "******", "user": "root", "params": "[host: db, passwd: ******]"])
    }

    @Test("nothing secret reaches the file either: the masking happens before every sink")
    func fileSeesMaskedLine() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = RotatingFileLogSink(directory: folder.path, fileName: "wf.log", maxBytes: 0, backupCount: 0, timeZone: utc)
        let setup = LoggingSetup(
            minimumLevel: .info, sinks: [LogSinkRoute(file, name: "file")], masker: { SecretMasker(secrets: ["topsecret"]) },
            clock: ManualClock(start: sampleTime))
        setup.logger(label: "workflow").info("token is topsecret", metadata: ["password": "topsecret"])
        let text = try #require(folder.read("wf.log"))
        #expect(!text.contains("topsecret"))
        #expect(text.contains(#""message": "token is ******", "metadata": {"password": "******"}}"#))
    }

    @Test("an error attached to the event becomes the error metadata")
    func attachedError() {
        let memory = MemoryLogSink()
        let handler = LoggingSetup(sinks: [LogSinkRoute(memory, name: "memory")]).makeHandler(label: "workflow")
        handler.log(
            event: LogEvent(
                level: .error, message: "failed", error: FailingSink.Broken(), metadata: nil, source: "X", file: "f",
                function: "g", line: 1))
        #expect(memory.lines.first?.metadata == ["error": "disk on fire"])
    }

    @Test("a failing sink loses its lines only: callers and other sinks carry on, and it is reported once a minute")
    func failingSinkIsContained() {
        let memory = MemoryLogSink()
        let clock = ManualClock(start: sampleTime)
        let reports = TextCollector()
        let setup = LoggingSetup(
            minimumLevel: .info,
            sinks: [LogSinkRoute(FailingSink(), name: "file"), LogSinkRoute(memory, name: "memory")],
            reporter: LogSinkFailureReporter(clock: clock, output: reports.output))
        let logger = setup.logger(label: "workflow")
        for n in 1...3 { logger.info("line \(n)") }
        #expect(memory.lines.count == 3)
        #expect(reports.lines == ["workflow: log sink 'file' is failing: disk on fire (1 line(s) lost since the last report)\n"])
        clock.advance(by: .seconds(59))
        logger.info("line 4")
        #expect(reports.lines.count == 1)
        clock.advance(by: .seconds(1))
        logger.info("line 5")
        #expect(reports.lines.count == 2)
        #expect(reports.lines.last == "workflow: log sink 'file' is failing: disk on fire (4 line(s) lost since the last report)\n")
        logger.info("line 6")
        setup.flush()
        #expect(reports.lines.last == "workflow: log sink 'file' is failing: disk on fire (1 line(s) lost since the last report)\n")
        #expect(memory.lines.count == 6)
    }
}
