import Foundation
import SQLKit
import WorkFlowEngine

/// Creating a workflow together with the history it had elsewhere, as a backup restore does.
public protocol FlowImportStore: Sendable {
    /// Creates the workflow `name` with `versions` (oldest first) as its history, numbered 1, 2, ...
    /// in that order and keeping each version's author, comment and time. The newest version's
    /// document becomes the workflow's document. One transaction: all of it is stored, or none.
    ///
    /// Throws ``StoreError/flowExists(_:)`` when the name is taken, and
    /// ``StoreError/database(operation:message:)`` when `versions` is empty.
    func importFlow(name: String, enabled: Bool, versions: [FlowVersion]) async throws(StoreError) -> StoredFlow
}

extension SQLStore: FlowImportStore {
    public func importFlow(name: String, enabled: Bool, versions: [FlowVersion]) async throws(StoreError) -> StoredFlow {
        try FlowName.validate(name)
        let operation = "import workflow '\(name)'"
        guard let first = versions.first, let last = versions.last else {
            throw StoreError.database(operation: operation, message: "no versions to import")
        }
        let created = StoreTime.milliseconds(first.createdAt)
        let updated = StoreTime.milliseconds(last.createdAt)
        let text = JSONColumn.text(last.document)
        return try await StoreError.wrapping(operation) {
            do {
                return try await database.withSession { session in
                    if try await session.first("SELECT id FROM flows WHERE name = \(bind: name)") != nil {
                        throw StoreError.flowExists(name)
                    }
                    let row = try await session.first(
                        """
                        INSERT INTO flows (name, document, enabled, deleted, current_version, created_at, updated_at, created_by, updated_by)
                        VALUES (\(bind: name), \(bind: text), \(bind: enabled), \(bind: false), \(bind: versions.count),
                            \(bind: created), \(bind: updated), \(bind: first.author), \(bind: last.author))
                        RETURNING id
                        """)
                    guard let id = try row?.int64("id") else {
                        throw StoreError.database(operation: operation, message: "the new row's id was not returned")
                    }
                    for (index, version) in versions.enumerated() {
                        try await session.run(
                            """
                            INSERT INTO flow_versions (flow_id, number, author, comment, document, created_at)
                            VALUES (\(bind: id), \(bind: index + 1), \(bind: version.author), \(bind: version.comment),
                                \(bind: JSONColumn.text(version.document)), \(bind: StoreTime.milliseconds(version.createdAt)))
                            """)
                    }
                    return StoredFlow(
                        id: id, name: name, document: last.document, enabled: enabled, deleted: false, currentVersion: versions.count,
                        createdAt: StoreTime.date(created), updatedAt: StoreTime.date(updated), createdBy: first.author,
                        updatedBy: last.author)
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                // Another writer created the same name between our check and our insert.
                throw StoreError.flowExists(name)
            }
        }
    }
}
