import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: the console, a file, the system log table.
///
/// Sinks may throw; the fan-out contains every failure so that logging never breaks the
/// caller. `write` is called on the logging caller's thread, so it must be quick and must
/// never wait for anything slow (the store sink only enqueues).
public protocol LogSink: Sendable {
    /// Writes lines, oldest first; they are already masked.
    func write(_ lines: [LogLine]) throws
    /// Pushes out anything buffered, as far as that can be done without waiting.
    func flush() throws
}

extension LogSink {
    public func flush() throws {}
}

/// Writes text to the process's standard error without going through `FILE*` buffering
/// (shared C globals are not concurrency-safe) and without ever throwing.
public enum StandardError {
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = FileDescriptorWriter.writeAll(&bytes, to: STDERR_FILENO)
    }
}

enum FileDescriptorWriter {
    /// Writes every byte, retrying on partial writes and `EINTR`; returns the `errno` of the
    /// first real failure, or nil.
    static func writeAll(_ bytes: inout [UInt8], to fd: Int32) -> Int32? {
        var offset = 0
        let count = bytes.count
        return bytes.withUnsafeBytes { buffer -> Int32? in
            while offset < count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
    }
}

/// `close(2)`, named apart from the sinks' own `close()` methods.
func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
