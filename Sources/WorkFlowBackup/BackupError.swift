import WorkFlowStore

/// One thing wrong with a backup archive, with the entry it concerns.
public struct BackupProblem: Sendable, Hashable, CustomStringConvertible {
    /// The entry's path inside the ZIP (`workflows/nightly.json`), or the file's path when a seed
    /// installation is imported; `nil` for the archive as a whole.
    public var entry: String?
    public var message: String
    /// Where in the entry, when known (a module's syntax error).
    public var line: Int?
    public var column: Int?

    public init(entry: String?, message: String, line: Int? = nil, column: Int? = nil) {
        self.entry = entry
        self.message = message
        self.line = line
        self.column = column
    }

    /// `entry: message`, or `entry:line:column: message` as compilers write it.
    public var description: String {
        guard let entry else { return message }
        let place = [line, line == nil ? nil : column].compactMap { $0 }.map { ":\($0)" }.joined()
        return "\(entry)\(place): \(message)"
    }
}

/// Why a backup could not be made, read or restored.
public enum BackupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The archive cannot be restored; every problem found, in entry order.
    case invalidArchive([BackupProblem])
    /// The store failed while the backup was read from it or planned against it.
    case store(StoreError)
    /// A file (the archive, a seed installation's file) could not be read or written.
    case file(path: String, message: String)
    /// The custom modules could not be read, checked or saved.
    case modules(String)

    public var description: String {
        switch self {
        case .invalidArchive(let problems):
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            return "the backup cannot be restored (\(count)):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .store(let error):
            return error.description
        case .file(let path, let message):
            return "\(path): \(message)"
        case .modules(let message):
            return "the custom modules: \(message)"
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

    /// Runs a call of the module library, turning its error into ``BackupError/modules(_:)``.
    static func reading<R>(_ body: () async throws -> R) async throws(BackupError) -> R {
        do {
            return try await body()
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .modules("\(error)")
        }
    }
}
