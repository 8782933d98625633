import Foundation
import Testing
@testable import WorkFlowLogging

@Suite("rotating file sink")
struct RotatingFileLogSinkTests {
    /// Lines of equal length, so that sizes are easy to reason about.
    private func numbered(_ n: Int) -> LogLine { sampleLine("line \(n)") }
    private func text(_ numbers: ClosedRange<Int>) -> String {
        numbers.map { numbered($0).seedJSON(timeZone: utc) + "\n" }.joined()
    }

    @Test("appends one seed JSON line per log line, creating the missing folders")
    func appendsAndCreatesFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sink = RotatingFileLogSink(
            directory: folder.path + "/var/logs", fileName: "wf.log", maxBytes: 0, backupCount: 3, timeZone: utc)
        try sink.write([numbered(1)])
        try sink.write([numbered(2), numbered(3)])
        #expect(folder.read("var/logs/wf.log") == text(1...3))
    }

    @Test("rotates before a line would pass maxBytes and keeps backupCount old files")
    func rotatesBySize() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let lineSize = text(1...1).utf8.count
        let sink = RotatingFileLogSink(
            directory: folder.path, fileName: "wf.log", maxBytes: 2 * lineSize, backupCount: 2, timeZone: utc)
        for n in 1...7 { try sink.write([numbered(n)]) }
        #expect(folder.files() == ["wf.log", "wf.log.1", "wf.log.2"])
        #expect(folder.read("wf.log") == text(7...7))
        #expect(folder.read("wf.log.1") == text(5...6))
        #expect(folder.read("wf.log.2") == text(3...4))
    }

    @Test("a batch that crosses the limit is split across the rotation")
    func rotatesWithinABatch() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let lineSize = text(1...1).utf8.count
        let sink = RotatingFileLogSink(
            directory: folder.path, fileName: "wf.log", maxBytes: 3 * lineSize, backupCount: 5, timeZone: utc)
        try sink.write((1...5).map(numbered))
        #expect(folder.files() == ["wf.log", "wf.log.1"])
        #expect(folder.read("wf.log.1") == text(1...3))
        #expect(folder.read("wf.log") == text(4...5))
    }

    @Test("with backupCount 0 the file starts again empty and no old file is kept")
    func noBackups() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let lineSize = text(1...1).utf8.count
        let sink = RotatingFileLogSink(
            directory: folder.path, fileName: "wf.log", maxBytes: 2 * lineSize, backupCount: 0, timeZone: utc)
        for n in 1...5 { try sink.write([numbered(n)]) }
        #expect(folder.files() == ["wf.log"])
        #expect(folder.read("wf.log") == text(5...5))
    }

    @Test("a line longer than maxBytes still gets written, alone in its file")
    func oversizedLine() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sink = RotatingFileLogSink(directory: folder.path, fileName: "wf.log", maxBytes: 10, backupCount: 1, timeZone: utc)
        try sink.write([numbered(1)])
        try sink.write([numbered(2)])
        #expect(folder.read("wf.log.1") == text(1...1))
        #expect(folder.read("wf.log") == text(2...2))
    }

    @Test("a file deleted by someone else is created again on the next line")
    func reopensAfterDeletion() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sink = RotatingFileLogSink(
            directory: folder.path, fileName: "wf.log", maxBytes: 0, backupCount: 1, timeZone: utc, pathCheckInterval: .zero)
        try sink.write([numbered(1)])
        try FileManager.default.removeItem(atPath: folder.path + "/wf.log")
        try sink.write([numbered(2)])
        #expect(folder.read("wf.log") == text(2...2))
    }

    @Test("a file moved away by an outside rotation is left to its new name and a new one started")
    func reopensAfterExternalRotation() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sink = RotatingFileLogSink(
            directory: folder.path, fileName: "wf.log", maxBytes: 0, backupCount: 1, timeZone: utc, pathCheckInterval: .zero)
        try sink.write([numbered(1)])
        try FileManager.default.moveItem(atPath: folder.path + "/wf.log", toPath: folder.path + "/wf.log-20261128")
        try sink.write([numbered(2)])
        #expect(folder.read("wf.log-20261128") == text(1...1))
        #expect(folder.read("wf.log") == text(2...2))
    }

    @Test("between checks of the path, lines go to the open file even when it was moved away")
    func checksThePathAtIntervals() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sink = RotatingFileLogSink(
            directory: folder.path, fileName: "wf.log", maxBytes: 0, backupCount: 1, timeZone: utc, pathCheckInterval: .seconds(3600))
        try sink.write([numbered(1)])
        try FileManager.default.moveItem(atPath: folder.path + "/wf.log", toPath: folder.path + "/wf.log-20261128")
        try sink.write([numbered(2)])
        #expect(folder.read("wf.log-20261128") == text(1...2))
        #expect(folder.read("wf.log") == nil)
    }

    @Test("a folder that cannot be created is an error naming it")
    func unwritableFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try #require(FileManager.default.createFile(atPath: folder.path + "/blocker", contents: Data()))
        let sink = RotatingFileLogSink(directory: folder.path + "/blocker/logs", fileName: "wf.log", maxBytes: 0, backupCount: 1)
        #expect {
            try sink.write([numbered(1)])
        } throws: { error in
            "\(error)".contains("blocker")
        }
    }
}
