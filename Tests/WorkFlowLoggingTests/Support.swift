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

/// Collects text handed to a reporter or console.
final class TextCollector: Sendable {
    private let texts = Mutex<[String]>([])

    var output: @Sendable (String) -> Void { { text in self.texts.withLock { $0.append(text) } } }
    var lines: [String] { texts.withLock { $0 } }
}

/// A fresh folder under the temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("wf-logging-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func read(_ name: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path + "/" + name) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}

/// A sink that always fails.
struct FailingSink: LogSink {
    struct Broken: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    func write(_ lines: [LogLine]) throws { throw Broken() }
}

/// Batches handed to a store writer, readable in order by the test.
final class BatchRecorder: Sendable {
    let batches: AsyncStream<[LogLine]>
    private let continuation: AsyncStream<[LogLine]>.Continuation

    init() {
        (batches, continuation) = AsyncStream.makeStream(of: [LogLine].self)
    }

    var writer: StoreLogSink.Writer {
        { lines in self.continuation.yield(lines) }
    }

    func finish() { continuation.finish() }

    /// Every batch recorded so far; ends the recording.
    func all() async -> [[LogLine]] {
        continuation.finish()
        var out: [[LogLine]] = []
        for await batch in batches { out.append(batch) }
        return out
    }
}
