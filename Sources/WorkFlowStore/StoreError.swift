import Foundation
import PostgresNIO
import SQLiteNIO

/// Everything that can go wrong in the store, worded for the person who reads it.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The database URL is not one the store can open.
    case unsupportedURL(String, reason: String)
    /// A workflow name breaks the naming rules.
    case invalidName(String)
    /// No live workflow has this name.
    case flowNotFound(String)
    /// A live workflow already has this name.
    case flowExists(String)
    /// The workflow has no version with this number.
    case versionNotFound(name: String, number: Int)
    /// No run has this id.
    case runNotFound(Int64)
    /// A user name breaks the naming rules.
    case invalidUsername(String)
    /// No user has this name.
    case userNotFound(String)
    /// A user already has this name.
    case userExists(String)
    /// An API key name breaks the naming rules.
    case invalidAPIKeyName(String)
    /// No API key has this name.
    case apiKeyNotFound(String)
    /// An API key already has this name.
    case apiKeyExists(String)
    /// A setting's value is out of range.
    case invalidSetting(String)
    /// A schedule name breaks the naming rules.
    case invalidScheduleName(String)
    /// The workflow has no schedule with this name.
    case scheduleNotFound(flow: String, name: String)
    /// The workflow already has a schedule with this name.
    case scheduleExists(flow: String, name: String)
    /// A webhook name breaks the naming rules.
    case invalidWebhookName(String)
    /// A user's display name or e-mail address is not acceptable.
    case invalidProfile(field: String, problem: String)
    /// The workflow has no webhook with this name.
    case webhookNotFound(flow: String, name: String)
    /// The workflow already has a webhook with this name.
    case webhookExists(flow: String, name: String)
    /// A module or category name breaks the naming rules.
    case invalidModuleName(field: String, problem: String)
    /// No custom module has this `category.Name`.
    case moduleNotFound(String)
    /// A custom module with this `category.Name` exists already.
    case moduleExists(String)
    /// The module has no version with this number.
    case moduleVersionNotFound(name: String, number: Int)
    /// No module category has this name.
    case moduleCategoryNotFound(String)
    /// A module category with this name exists already.
    case moduleCategoryExists(String)
    /// The category still holds modules.
    case moduleCategoryNotEmpty(name: String, modules: Int)
    /// A stored value cannot be read back (a row written by something else, or damaged).
    case corruptValue(table: String, column: String, problem: String)
    /// The database refused or failed an operation.
    case database(operation: String, message: String)

    public var description: String {
        switch self {
        case .unsupportedURL(let url, let reason):
            "cannot open database '\(url)': \(reason)"
        case .invalidName(let reason):
            "invalid workflow name: \(reason)"
        case .flowNotFound(let name):
            "workflow '\(name)' does not exist"
        case .flowExists(let name):
            "a workflow named '\(name)' already exists"
        case .versionNotFound(let name, let number):
            "workflow '\(name)' has no version \(number)"
        case .runNotFound(let id):
            "run \(id) does not exist"
        case .invalidUsername(let name):
            "invalid user name '\(name)': use 1 to 64 letters, digits, '_', '.', '@' or '-'"
        case .userNotFound(let name):
            "user '\(name)' does not exist"
        case .userExists(let name):
            "a user named '\(name)' already exists"
        case .invalidAPIKeyName(let name):
            "invalid API key name '\(name)': use 1 to 100 printable characters"
        case .apiKeyNotFound(let name):
            "API key '\(name)' does not exist"
        case .apiKeyExists(let name):
            "an API key named '\(name)' already exists"
        case .invalidSetting(let reason):
            "invalid setting: \(reason)"
        case .invalidScheduleName(let name):
            "invalid schedule name '\(name)': use 1 to \(ScheduleName.maximumLength) letters, digits, '_', '.' or '-'"
        case .scheduleNotFound(let flow, let name):
            "workflow '\(flow)' has no schedule '\(name)'"
        case .scheduleExists(let flow, let name):
            "workflow '\(flow)' already has a schedule named '\(name)'"
        case .invalidWebhookName(let name):
            "invalid webhook name '\(name)': use 1 to \(WebhookNames.maximumLength) letters, digits, '_', '.' or '-'"
        case .invalidProfile(let field, let problem):
            "invalid \(field): \(problem)"
        case .webhookNotFound(let flow, let name):
            "workflow '\(flow)' has no webhook named '\(name)'"
        case .webhookExists(let flow, let name):
            "workflow '\(flow)' already has a webhook named '\(name)'"
        case .invalidModuleName(_, let problem):
            problem
        case .moduleNotFound(let name):
            "module '\(name)' does not exist"
        case .moduleExists(let name):
            "module \"\(name)\" already exists"
        case .moduleVersionNotFound(let name, let number):
            "module '\(name)' has no version \(number)"
        case .moduleCategoryNotFound(let name):
            "module category '\(name)' does not exist"
        case .moduleCategoryExists(let name):
            "category \"\(name)\" already exists"
        case .moduleCategoryNotEmpty(let name, let modules):
            "cannot delete category \"\(name)\": it still contains \(modules) module(s); delete them first"
        case .corruptValue(let table, let column, let problem):
            "cannot read \(table).\(column): \(problem)"
        case .database(let operation, let message):
            "database error while trying to \(operation): \(message)"
        }
    }
}

extension StoreError {
    /// Runs `body`, passing our own errors through and wrapping the database's with what we were doing.
    static func wrapping<R>(_ operation: @autoclosure () -> String, _ body: () async throws -> R) async throws(StoreError) -> R {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(operation: operation(), message: DatabaseErrorText.describe(error))
        }
    }
}

/// Words for the errors the database drivers throw.
enum DatabaseErrorText {
    /// PostgresNIO hides the server's message from `description` so that it cannot leak by
    /// accident; the store's errors are read by operators, so we take the message and SQLSTATE.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            return "PostgreSQL: \(error.code)"
        }
        if let error = error as? SQLiteError {
            return error.message
        }
        if let error = error as? StoreClosedError {
            return error.description
        }
        return String(describing: error)
    }

    /// Whether `error` is a foreign-key violation (a row that points at a missing run or workflow).
    static func isForeignKeyViolation(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            return error.serverInfo?[.sqlState] == "23503"
        }
        if let error = error as? SQLiteError {
            return error.reason == .constraintForeignKeyFailed
        }
        return false
    }

    /// Whether the database refused a statement for what it held (a constraint, a value it
    /// cannot store), as opposed to being unreachable, busy or closed: only then can another
    /// attempt with part of the data succeed.
    static func isRejectedStatement(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            guard let state = error.serverInfo?[.sqlState] else { return false }
            // 08 connection, 53 resources, 57 operator intervention (shutdown), 40 rollbacks.
            return !["08", "53", "57", "40"].contains(String(state.prefix(2)))
        }
        if let error = error as? SQLiteError {
            switch error.reason {
            case .busy, .locked, .busyInRecovery, .busyInSnapshot, .busyTimeout, .lockedBySharedCache, .lockedVirtualTable, .ioError,
                .full, .cantOpen, .notADatabase, .corrupt, .readOnly, .noMemory, .interrupt:
                return false
            default:
                return true
            }
        }
        return false
    }

    /// Whether `error` is a unique-constraint violation (two writers raced for the same name).
    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            return error.serverInfo?[.sqlState] == "23505"
        }
        if let error = error as? SQLiteError {
            return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
        }
        return false
    }
}
