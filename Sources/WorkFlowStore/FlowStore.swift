import Foundation
import WorkFlowEngine

/// A stored workflow.
public struct StoredFlow: Sendable, Hashable {
    public var id: Int64
    public var name: String
    /// The workflow document, keys in the order they were written.
    public var document: JSONObject
    public var enabled: Bool
    /// Soft-deleted: renamed to `<name>_<time>_deleted` and hidden from lists.
    public var deleted: Bool
    /// The number of the newest version.
    public var currentVersion: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var createdBy: String?
    public var updatedBy: String?
    /// How the run queue treats the workflow's runs; not part of the document, so not versioned.
    public var runSettings: FlowRunSettings

    public init(
        id: Int64, name: String, document: JSONObject, enabled: Bool, deleted: Bool, currentVersion: Int,
        createdAt: Date, updatedAt: Date, createdBy: String?, updatedBy: String?, runSettings: FlowRunSettings = .default
    ) {
        self.id = id
        self.name = name
        self.document = document
        self.enabled = enabled
        self.deleted = deleted
        self.currentVersion = currentVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
        self.updatedBy = updatedBy
        self.runSettings = runSettings
    }
}

/// What happens to a run whose worker stopped (its lease expired) before the run ended.
public enum InterruptPolicy: String, Sendable, Hashable, CaseIterable {
    /// The run fails with ``InterruptedRun/error``.
    case fail
    /// The run goes back to the queue and starts again from its first step, up to the reaper's
    /// maximum number of attempts. Only for workflows whose steps may safely run twice.
    case retry
}

/// A workflow's settings for the run queue.
public struct FlowRunSettings: Sendable, Hashable {
    /// At most this many runs of the workflow run at once; `nil` is no limit.
    public var maxConcurrentRuns: Int?
    public var onInterrupt: InterruptPolicy

    /// No limit; interrupted runs fail.
    public static let `default` = FlowRunSettings()

    public init(maxConcurrentRuns: Int? = nil, onInterrupt: InterruptPolicy = .fail) {
        self.maxConcurrentRuns = maxConcurrentRuns
        self.onInterrupt = onInterrupt
    }

    /// Throws ``StoreError/invalidSetting(_:)`` for a limit below 1.
    public func validate() throws(StoreError) {
        if let limit = maxConcurrentRuns, limit < 1 {
            throw StoreError.invalidSetting("max_concurrent_runs must be at least 1 (or unset for no limit), got \(limit)")
        }
    }
}

/// One saved state of a workflow.
public struct FlowVersion: Sendable, Hashable {
    /// The workflow's current name (versions follow renames).
    public var flowName: String
    /// 1, 2, 3, ... per workflow, without gaps.
    public var number: Int
    public var author: String?
    /// Why the version exists: the author's comment, or `renamed from X`, `restored version N`.
    public var comment: String?
    public var document: JSONObject
    public var createdAt: Date

    public init(flowName: String, number: Int, author: String?, comment: String?, document: JSONObject, createdAt: Date) {
        self.flowName = flowName
        self.number = number
        self.author = author
        self.comment = comment
        self.document = document
        self.createdAt = createdAt
    }
}

/// Which workflows ``FlowStore/listFlows(_:)`` returns, ordered by name.
public struct FlowQuery: Sendable, Hashable {
    /// Part of the name, matched case-insensitively (ASCII letters on SQLite).
    public var text: String?
    public var enabled: Bool?
    public var includeDeleted: Bool
    public var limit: Int
    public var offset: Int

    public init(text: String? = nil, enabled: Bool? = nil, includeDeleted: Bool = false, limit: Int = 100, offset: Int = 0) {
        self.text = text
        self.enabled = enabled
        self.includeDeleted = includeDeleted
        self.limit = limit
        self.offset = offset
    }
}

/// Workflows and their versions. Names are unique among live workflows; every create, update,
/// rename and restore writes a version.
public protocol FlowStore: Sendable {
    func createFlow(name: String, document: JSONObject, author: String?, comment: String?) async throws(StoreError) -> StoredFlow
    func flow(named name: String) async throws(StoreError) -> StoredFlow?
    func listFlows(_ query: FlowQuery) async throws(StoreError) -> [StoredFlow]
    func updateFlow(name: String, document: JSONObject, author: String?, comment: String?) async throws(StoreError) -> StoredFlow
    func renameFlow(from name: String, to newName: String, author: String?) async throws(StoreError) -> StoredFlow
    func deleteFlow(name: String, author: String?) async throws(StoreError) -> String
    func setEnabled(name: String, enabled: Bool, author: String?) async throws(StoreError) -> StoredFlow
    func versions(of name: String) async throws(StoreError) -> [FlowVersion]
    func version(_ number: Int, of name: String) async throws(StoreError) -> FlowVersion
    func diff(of name: String, from old: Int, to new: Int) async throws(StoreError) -> String
    func restoreVersion(_ number: Int, of name: String, author: String?) async throws(StoreError) -> StoredFlow
    /// Replaces a live workflow's run settings (no new version: the document does not change).
    func setRunSettings(name: String, _ settings: FlowRunSettings, author: String?) async throws(StoreError) -> StoredFlow
}

/// The rules for workflow names.
public enum FlowName {
    public static let maximumLength = 128

    /// Throws ``StoreError/invalidName(_:)`` saying which rule `name` breaks.
    public static func validate(_ name: String) throws(StoreError) {
        if name.isEmpty {
            throw StoreError.invalidName("the name is empty")
        }
        if name.count > maximumLength {
            throw StoreError.invalidName("'\(name.prefix(20))…' is \(name.count) characters long; the limit is \(maximumLength)")
        }
        if let first = name.first, let last = name.last, first.isWhitespace || last.isWhitespace {
            throw StoreError.invalidName("'\(name)' starts or ends with a space")
        }
    }
}
