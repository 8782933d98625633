import Foundation
import Logging

/// Opens the store named by a database URL.
public enum Store {
    /// Opens `url` and applies pending migrations.
    ///
    /// Accepted: `sqlite:///absolute/path.db`, `sqlite:relative/path.db` (relative to the working
    /// directory) and `postgres://user:password@host:port/database` (also `postgresql://`).
    public static func open(
        url: String, logger: Logger = Logger(label: "workflow.store"), now: @escaping @Sendable () -> Date = { Date() }
    ) async throws(StoreError) -> SQLStore {
        let database: StoreDatabase
        switch try StoreURL.parse(url) {
        case .sqlite(let path): database = try await StoreDatabase.sqlite(path: path, logger: logger)
        case .postgres(let url): database = try await StoreDatabase.postgres(url: url, logger: logger)
        }
        return try await SQLStore.open(database: database, logger: logger, now: now)
    }
}

/// The database URLs the store understands.
enum StoreURL: Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    static func parse(_ url: String) throws(StoreError) -> StoreURL {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return .postgres(url: url)
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard path.hasPrefix("/"), path.count > 1 else {
                throw StoreError.unsupportedURL(
                    url, reason: "an SQLite URL with slashes needs an absolute path: sqlite:///path/to/file.db")
            }
            return .sqlite(path: path)
        }
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw StoreError.unsupportedURL(url, reason: "the SQLite URL names no file: sqlite:path/to/file.db")
            }
            return .sqlite(path: path)
        }
        throw StoreError.unsupportedURL(
            redacted(url),
            reason: "expected sqlite:///absolute/path.db, sqlite:relative/path.db or postgres://user:password@host:port/database")
    }

    /// The URL with its password replaced, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
