import Foundation
import Synchronization

/// Where a command writes: standard output and error, or buffers in tests.
public protocol Console: Sendable {
    func out(_ text: String)
    func err(_ text: String)
    /// Whether standard output is a terminal (colours and symbols are used only then).
    var isTerminal: Bool { get }
}

/// The process's standard output and error.
public struct StandardConsole: Console {
    public init() {}

    public func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    public func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    public var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}

/// A console that keeps what is written, for tests.
public final class BufferConsole: Console {
    private let buffers = Mutex<(out: String, err: String)>(("", ""))
    public let isTerminal: Bool

    public init(isTerminal: Bool = false) {
        self.isTerminal = isTerminal
    }

    public func out(_ text: String) { buffers.withLock { $0.out += text } }
    public func err(_ text: String) { buffers.withLock { $0.err += text } }

    public var output: String { buffers.withLock { $0.out } }
    public var errors: String { buffers.withLock { $0.err } }
}
