import Foundation
import Testing
@testable import WorkFlowLogging

@Suite("console sink")
struct ConsoleLogSinkTests {
    @Test("one readable line: time, padded level, label, message, metadata in key order")
    func plainFormat() {
        let console = ConsoleLogSink(timeZone: utc, colour: false)
        let line = sampleLine(metadata: ["step.name": "fetch data", "run.id": "42", "empty": ""])
        #expect(
            console.format(line)
                == "2026-11-28 03:04:05.678 INFO  [workflow.engine] run started empty=\"\" run.id=42 step.name=\"fetch data\"\n")
        #expect(
            console.format(sampleLine("careful", level: .warning))
                == "2026-11-28 03:04:05.678 WARNING [workflow.engine] careful\n")
    }

    @Test("terminal control characters in messages are shown escaped")
    func controlCharacters() {
        let console = ConsoleLogSink(timeZone: utc, colour: false)
        #expect(
            console.format(sampleLine("a\u{1B}[2Jb\nc"))
                == "2026-11-28 03:04:05.678 INFO  [workflow.engine] a\\u001b[2Jb\nc\n")
    }

    @Test("with colour only the level is coloured")
    func colour() {
        let console = ConsoleLogSink(timeZone: utc, colour: true)
        #expect(
            console.format(sampleLine("boom", level: .error))
                == "2026-11-28 03:04:05.678 \u{1B}[31mERROR\u{1B}[0m [workflow.engine] boom\n")
    }

    @Test("colour is off by default when the output is not a terminal")
    func noColourOffTerminal() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path + "/console.txt"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let console = ConsoleLogSink(timeZone: utc, fileDescriptor: fd)
        #expect(!console.colour)
        try console.write([sampleLine("one"), sampleLine("two")])
        #expect(
            folder.read("console.txt")
                == "2026-11-28 03:04:05.678 INFO  [workflow.engine] one\n2026-11-28 03:04:05.678 INFO  [workflow.engine] two\n")
    }
}
