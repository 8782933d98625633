import WorkFlowStore

/// One thing wrong with a backup archive, with the entry it concerns.
public struct BackupProblem: Sendable, Hashable, CustomStringConvertible {
    /// The entry's path inside the ZIP (`workflows/nightly.json`); `nil` for the archive as a whole.
    public var entry: String?
    public var message: String

    public init(entry: String?, message: String) {
        self.entry = entry
        self.message = message
    }

    public var description: String {
        entry.map { "\($0): \(message)" } ?? message
    }
}

/// Why a backup could not be made, read or restored.
public enum BackupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The archive cannot be restored; every problem found, in entry order.
    case invalidArchive([BackupProblem])
    /// The store failed while the backup was read from it or planned against it.
    case store(StoreError)
    /// A file (a module source, the archive) could not be read or written.
    case file(path: String, message: String)

    public var description: String {
        switch self {
        case .invalidArchive(let problems):
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            return "the backup cannot be restored (\(count)):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .store(let error):
            return error.description
        case .file(let path, let message):
            return "\(path): \(message)"
        }
    }

    /// The problems of an invalid archive; empty for other errors.
    public var problems: [BackupProblem] {
        if case .invalidArchive(let problems) = self { return problems }
        return []
    }
}

extension BackupError {
    /// Runs a store call, turning its error into ``BackupError/store(_:)``.
    static func storing<R>(_ body: () async throws(StoreError) -> R) async throws(BackupError) -> R {
        do {
            return try await body()
        } catch {
            throw .store(error)
        }
    }
}
