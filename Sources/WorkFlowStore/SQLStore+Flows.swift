import Foundation
import SQLKit
import WorkFlowEngine

extension SQLStore: FlowStore {
    /// The columns every flow query selects, in the order ``StoredFlow/init(row:)`` reads them.
    static let flowColumns: SQLQueryString = """
        id, name, document, enabled, deleted, current_version, created_at, updated_at, created_by, updated_by, \
        max_concurrent_runs, on_interrupt
        """

    /// Creates a workflow and its version 1 in one transaction.
    public func createFlow(
        name: String, document: JSONObject, author: String?, comment: String? = nil
    ) async throws(StoreError) -> StoredFlow {
        try FlowName.validate(name)
        let now = nowMilliseconds()
        let text = JSONColumn.text(document)
        return try await StoreError.wrapping("create workflow '\(name)'") {
            do {
                return try await database.withSession { session in
                    if try await session.first("SELECT id FROM flows WHERE name = \(bind: name)") != nil {
                        throw StoreError.flowExists(name)
                    }
                    let row = try await session.first(
                        """
                        INSERT INTO flows (name, document, enabled, deleted, current_version, created_at, updated_at, created_by, updated_by)
                        VALUES (\(bind: name), \(bind: text), \(bind: true), \(bind: false), \(bind: 1), \(bind: now), \(bind: now), \(bind: author), \(bind: author))
                        RETURNING id
                        """)
                    guard let id = try row?.int64("id") else {
                        throw StoreError.database(operation: "create workflow '\(name)'", message: "the new row's id was not returned")
                    }
                    try await insertVersion(
                        session, flowID: id, number: 1, author: author, comment: comment, document: text, at: now)
                    return StoredFlow(
                        id: id, name: name, document: document, enabled: true, deleted: false, currentVersion: 1,
                        createdAt: StoreTime.date(now), updatedAt: StoreTime.date(now), createdBy: author, updatedBy: author)
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                // Another writer created the same name between our check and our insert.
                throw StoreError.flowExists(name)
            }
        }
    }

    /// The workflow with exactly this name: a live one, or a deleted one by its `..._deleted` name.
    public func flow(named name: String) async throws(StoreError) -> StoredFlow? {
        try await StoreError.wrapping("read workflow '\(name)'") {
            try await database.withConnection { session in
                try await session.first("SELECT \(Self.flowColumns) FROM flows WHERE name = \(bind: name)")
                    .map(StoredFlow.init(row:))
            }
        }
    }

    /// Workflows ordered by name; deleted ones only when the query asks for them.
    public func listFlows(_ query: FlowQuery = FlowQuery()) async throws(StoreError) -> [StoredFlow] {
        var sql: SQLQueryString = "SELECT \(Self.flowColumns) FROM flows WHERE 1 = 1"
        if !query.includeDeleted {
            sql += " AND deleted = \(bind: false)"
        }
        if let enabled = query.enabled {
            sql += " AND enabled = \(bind: enabled)"
        }
        if let text = query.text, !text.isEmpty {
            sql += " AND LOWER(name) LIKE \(bind: Self.likePattern(containing: text.lowercased())) ESCAPE '\\'"
        }
        sql += " ORDER BY name LIMIT \(bind: max(0, query.limit)) OFFSET \(bind: max(0, query.offset))"
        let finalSQL = sql
        return try await StoreError.wrapping("list workflows") {
            try await database.withConnection { session in
                try await session.all(finalSQL).map(StoredFlow.init(row:))
            }
        }
    }

    /// Saves a new document as the next version.
    public func updateFlow(
        name: String, document: JSONObject, author: String?, comment: String? = nil
    ) async throws(StoreError) -> StoredFlow {
        let text = JSONColumn.text(document)
        return try await StoreError.wrapping("update workflow '\(name)'") {
            try await database.withSession { session in
                let flow = try await lockLiveFlow(session, named: name)
                return try await addVersion(
                    session, to: flow, newName: name, document: document, text: text, author: author, comment: comment)
            }
        }
    }

    /// Renames a live workflow; the rename is a version with the comment `renamed from <old name>`.
    public func renameFlow(from name: String, to newName: String, author: String?) async throws(StoreError) -> StoredFlow {
        try FlowName.validate(newName)
        if newName == name {
            throw StoreError.invalidName("'\(name)' is already the workflow's name")
        }
        return try await StoreError.wrapping("rename workflow '\(name)' to '\(newName)'") {
            do {
                return try await database.withSession { session in
                    let flow = try await lockLiveFlow(session, named: name)
                    if try await session.first("SELECT id FROM flows WHERE name = \(bind: newName)") != nil {
                        throw StoreError.flowExists(newName)
                    }
                    return try await addVersion(
                        session, to: flow, newName: newName, document: flow.document, text: JSONColumn.text(flow.document),
                        author: author, comment: "renamed from \(name)")
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                throw StoreError.flowExists(newName)
            }
        }
    }

    /// Soft-deletes a live workflow as the seed did: disabled, marked deleted and renamed to
    /// `<name>_<YYYY-MM-DD_HH:MM:SS.mmm>_deleted` (UTC), which frees the name; its webhooks are
    /// deleted. Returns the new name.
    public func deleteFlow(name: String, author: String?) async throws(StoreError) -> String {
        let now = nowMilliseconds()
        let deletedName = "\(name)_\(StoreTime.deletedSuffix(StoreTime.date(now)))_deleted"
        return try await StoreError.wrapping("delete workflow '\(name)'") {
            try await database.withSession { session in
                let flow = try await lockLiveFlow(session, named: name)
                try await session.run(
                    """
                    UPDATE flows SET name = \(bind: deletedName), deleted = \(bind: true), enabled = \(bind: false),
                        updated_at = \(bind: now), updated_by = \(bind: author)
                    WHERE id = \(bind: flow.id)
                    """)
                // The row stays (soft delete), so ON DELETE CASCADE does not fire: a deleted
                // workflow's webhook URLs must stop working and not come back with a restore.
                try await session.run("DELETE FROM webhooks WHERE flow_id = \(bind: flow.id)")
                return deletedName
            }
        }
    }

    /// Enables or disables a live workflow (no new version: the document does not change).
    public func setEnabled(name: String, enabled: Bool, author: String? = nil) async throws(StoreError) -> StoredFlow {
        let now = nowMilliseconds()
        return try await StoreError.wrapping("\(enabled ? "enable" : "disable") workflow '\(name)'") {
            try await database.withSession { session in
                var flow = try await lockLiveFlow(session, named: name)
                try await session.run(
                    """
                    UPDATE flows SET enabled = \(bind: enabled), updated_at = \(bind: now), updated_by = \(bind: author)
                    WHERE id = \(bind: flow.id)
                    """)
                flow.enabled = enabled
                flow.updatedAt = StoreTime.date(now)
                flow.updatedBy = author
                return flow
            }
        }
    }

    /// Replaces a live workflow's run settings (no new version: the document does not change).
    public func setRunSettings(name: String, _ settings: FlowRunSettings, author: String? = nil) async throws(StoreError) -> StoredFlow {
        try settings.validate()
        let now = nowMilliseconds()
        return try await StoreError.wrapping("set the run settings of workflow '\(name)'") {
            try await database.withSession { session in
                var flow = try await lockLiveFlow(session, named: name)
                try await session.run(
                    """
                    UPDATE flows SET max_concurrent_runs = \(bind: settings.maxConcurrentRuns),
                        on_interrupt = \(bind: settings.onInterrupt.rawValue), updated_at = \(bind: now), updated_by = \(bind: author)
                    WHERE id = \(bind: flow.id)
                    """)
                flow.runSettings = settings
                flow.updatedAt = StoreTime.date(now)
                flow.updatedBy = author
                return flow
            }
        }
    }

    /// Every version of the workflow with this name, newest first.
    public func versions(of name: String) async throws(StoreError) -> [FlowVersion] {
        try await StoreError.wrapping("read the versions of workflow '\(name)'") {
            try await database.withConnection { session in
                guard let flowID = try await session.first("SELECT id FROM flows WHERE name = \(bind: name)")?.int64("id") else {
                    throw StoreError.flowNotFound(name)
                }
                return try await session.all(
                    """
                    SELECT number, author, comment, document, created_at FROM flow_versions
                    WHERE flow_id = \(bind: flowID) ORDER BY number DESC
                    """
                ).map { try FlowVersion(row: $0, flowName: name) }
            }
        }
    }

    /// Version `number` of the workflow with this name.
    public func version(_ number: Int, of name: String) async throws(StoreError) -> FlowVersion {
        try await StoreError.wrapping("read version \(number) of workflow '\(name)'") {
            try await database.withConnection { session in
                try await readVersion(session, number, of: name)
            }
        }
    }

    /// A unified line diff (`--- vA`, `+++ vB`, `@@` hunks with three lines of context) of two
    /// versions' pretty-printed documents.
    public func diff(of name: String, from old: Int, to new: Int) async throws(StoreError) -> String {
        let (before, after) = try await StoreError.wrapping("compare versions \(old) and \(new) of workflow '\(name)'") {
            try await database.withConnection { session in
                (try await readVersion(session, old, of: name), try await readVersion(session, new, of: name))
            }
        }
        return LineDiff.unified(
            from: JSONWriter.prettyString(from: .object(before.document)),
            to: JSONWriter.prettyString(from: .object(after.document)),
            fromLabel: "v\(old)", toLabel: "v\(new)")
    }

    /// Makes an old version's document current again, as a new version with the comment `restored version N`.
    public func restoreVersion(_ number: Int, of name: String, author: String?) async throws(StoreError) -> StoredFlow {
        try await StoreError.wrapping("restore version \(number) of workflow '\(name)'") {
            try await database.withSession { session in
                let flow = try await lockLiveFlow(session, named: name)
                let old = try await readVersion(session, number, of: name)
                return try await addVersion(
                    session, to: flow, newName: name, document: old.document, text: JSONColumn.text(old.document),
                    author: author, comment: "restored version \(number)")
            }
        }
    }

    // MARK: - Helpers

    /// Reads a live workflow inside a transaction, locking its row on PostgreSQL so that version
    /// numbers cannot be taken twice (SQLite's `BEGIN IMMEDIATE` already serialises writers).
    private func lockLiveFlow(_ session: StoreSession, named name: String) async throws -> StoredFlow {
        let lock: SQLQueryString = session.dialect == .postgres ? " FOR UPDATE" : ""
        guard
            let row = try await session.first(
                "SELECT \(Self.flowColumns) FROM flows WHERE name = \(bind: name) AND deleted = \(bind: false)\(lock)")
        else {
            throw StoreError.flowNotFound(name)
        }
        return try StoredFlow(row: row)
    }

    /// Writes the next version of `flow` and makes it current.
    private func addVersion(
        _ session: StoreSession, to flow: StoredFlow, newName: String, document: JSONObject, text: String,
        author: String?, comment: String?
    ) async throws -> StoredFlow {
        let now = nowMilliseconds()
        let number = flow.currentVersion + 1
        try await session.run(
            """
            UPDATE flows SET name = \(bind: newName), document = \(bind: text), current_version = \(bind: number),
                updated_at = \(bind: now), updated_by = \(bind: author)
            WHERE id = \(bind: flow.id)
            """)
        try await insertVersion(session, flowID: flow.id, number: number, author: author, comment: comment, document: text, at: now)
        var updated = flow
        updated.name = newName
        updated.document = document
        updated.currentVersion = number
        updated.updatedAt = StoreTime.date(now)
        updated.updatedBy = author
        return updated
    }

    private func insertVersion(
        _ session: StoreSession, flowID: Int64, number: Int, author: String?, comment: String?, document: String, at time: Int64
    ) async throws {
        try await session.run(
            """
            INSERT INTO flow_versions (flow_id, number, author, comment, document, created_at)
            VALUES (\(bind: flowID), \(bind: number), \(bind: author), \(bind: comment), \(bind: document), \(bind: time))
            """)
    }

    private func readVersion(_ session: StoreSession, _ number: Int, of name: String) async throws -> FlowVersion {
        guard let flowID = try await session.first("SELECT id FROM flows WHERE name = \(bind: name)")?.int64("id") else {
            throw StoreError.flowNotFound(name)
        }
        guard
            let row = try await session.first(
                """
                SELECT number, author, comment, document, created_at FROM flow_versions
                WHERE flow_id = \(bind: flowID) AND number = \(bind: number)
                """)
        else {
            throw StoreError.versionNotFound(name: name, number: number)
        }
        return try FlowVersion(row: row, flowName: name)
    }

    /// A LIKE pattern matching names that contain `text`, with LIKE's wildcards taken literally.
    static func likePattern(containing text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%\(escaped)%"
    }
}

extension StoredFlow {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"), name: try row.string("name"),
            document: try JSONColumn.object(try row.string("document"), table: "flows", column: "document"),
            enabled: try row.bool("enabled"), deleted: try row.bool("deleted"), currentVersion: try row.int("current_version"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            createdBy: try row.optionalString("created_by"), updatedBy: try row.optionalString("updated_by"),
            runSettings: FlowRunSettings(
                maxConcurrentRuns: try row.optionalInt("max_concurrent_runs"),
                onInterrupt: try row.enumValue("on_interrupt", table: "flows", as: InterruptPolicy.self)))
    }
}

extension FlowVersion {
    init(row: any SQLRow, flowName: String) throws {
        self.init(
            flowName: flowName, number: try row.int("number"), author: try row.optionalString("author"),
            comment: try row.optionalString("comment"),
            document: try JSONColumn.object(try row.string("document"), table: "flow_versions", column: "document"),
            createdAt: try row.date("created_at"))
    }
}
