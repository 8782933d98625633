import Foundation
import SQLKit

extension SQLStore: WebhookStore {
    /// The columns every webhook query selects (webhooks `w` joined to flows `f`), in the order
    /// ``StoredWebhook/init(row:)`` reads them.
    private static let webhookColumns: SQLQueryString = """
        w.id, w.flow_id, f.name AS flow_name, w.name, w.token_prefix, w.hmac_secret_encrypted, w.enabled, \
        w.created_at, w.updated_at, w.last_called_at
        """

    /// Creates a webhook of a live workflow.
    public func createWebhook(
        flowName: String, name: String, token: WebhookTokenDigest, hmacSecretEncrypted: String?, enabled: Bool
    ) async throws(StoreError) -> StoredWebhook {
        try WebhookNames.check(name)
        let now = nowMilliseconds()
        return try await StoreError.wrapping("create webhook '\(name)' of workflow '\(flowName)'") {
            do {
                return try await database.withSession { session in
                    let flowID = try await Self.liveFlowID(session, named: flowName, lock: true)
                    if try await Self.webhookRow(session, flowID: flowID, name: name) != nil {
                        throw StoreError.webhookExists(flow: flowName, name: name)
                    }
                    try await session.run(
                        """
                        INSERT INTO webhooks (flow_id, name, token_hash, token_prefix, hmac_secret_encrypted, enabled, created_at, updated_at)
                        VALUES (\(bind: flowID), \(bind: name), \(bind: token.hash), \(bind: token.prefix), \(bind: hmacSecretEncrypted),
                            \(bind: enabled), \(bind: now), \(bind: now))
                        """)
                    guard let created = try await Self.webhookRow(session, flowID: flowID, name: name) else {
                        throw StoreError.database(operation: "create a webhook", message: "the new row was not found")
                    }
                    return created
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                // Another writer took the name between our check and our insert.
                throw StoreError.webhookExists(flow: flowName, name: name)
            }
        }
    }

    /// The live workflow's webhooks, by name.
    public func webhooks(flowName: String) async throws(StoreError) -> [StoredWebhook] {
        try await StoreError.wrapping("list the webhooks of workflow '\(flowName)'") {
            try await database.withConnection { session in
                let flowID = try await Self.liveFlowID(session, named: flowName)
                return try await session.all(
                    """
                    SELECT \(Self.webhookColumns) FROM webhooks w JOIN flows f ON f.id = w.flow_id
                    WHERE w.flow_id = \(bind: flowID) ORDER BY w.name
                    """
                ).map(StoredWebhook.init(row:))
            }
        }
    }

    /// One webhook of a live workflow.
    public func webhook(named name: String, flowName: String) async throws(StoreError) -> StoredWebhook {
        try await StoreError.wrapping("read webhook '\(name)' of workflow '\(flowName)'") {
            try await database.withConnection { session in
                let flowID = try await Self.liveFlowID(session, named: flowName)
                guard let webhook = try await Self.webhookRow(session, flowID: flowID, name: name) else {
                    throw StoreError.webhookNotFound(flow: flowName, name: name)
                }
                return webhook
            }
        }
    }

    /// The webhook whose token has this hash, when its workflow is live.
    public func webhook(tokenHash: String) async throws(StoreError) -> StoredWebhook? {
        try await StoreError.wrapping("find a webhook by its token") {
            try await database.withConnection { session in
                try await session.first(
                    """
                    SELECT \(Self.webhookColumns) FROM webhooks w JOIN flows f ON f.id = w.flow_id
                    WHERE w.token_hash = \(bind: tokenHash) AND f.deleted = \(bind: false)
                    """
                ).map(StoredWebhook.init(row:))
            }
        }
    }

    /// Renames, enables or disables a webhook, changes its HMAC secret, or gives it a new token.
    public func updateWebhook(
        named name: String, flowName: String, _ update: WebhookUpdate
    ) async throws(StoreError) -> StoredWebhook {
        if let newName = update.name { try WebhookNames.check(newName) }
        let now = nowMilliseconds()
        let finalName = update.name ?? name
        return try await StoreError.wrapping("update webhook '\(name)' of workflow '\(flowName)'") {
            do {
                return try await database.withSession { session in
                    let flowID = try await Self.liveFlowID(session, named: flowName, lock: true)
                    guard let current = try await Self.webhookRow(session, flowID: flowID, name: name) else {
                        throw StoreError.webhookNotFound(flow: flowName, name: name)
                    }
                    if finalName != name, try await Self.webhookRow(session, flowID: flowID, name: finalName) != nil {
                        throw StoreError.webhookExists(flow: flowName, name: finalName)
                    }
                    let secret: String? =
                        switch update.hmacSecret {
                        case .keep: current.hmacSecretEncrypted
                        case .set(let sealed): sealed
                        case .remove: nil
                        }
                    var sql: SQLQueryString = """
                        UPDATE webhooks SET name = \(bind: finalName), enabled = \(bind: update.enabled ?? current.enabled),
                            hmac_secret_encrypted = \(bind: secret), updated_at = \(bind: now)
                        """
                    if let token = update.token {
                        sql += ", token_hash = \(bind: token.hash), token_prefix = \(bind: token.prefix)"
                    }
                    sql += " WHERE id = \(bind: current.id)"
                    try await session.run(sql)
                    guard let updated = try await Self.webhookRow(session, flowID: flowID, name: finalName) else {
                        throw StoreError.database(operation: "update a webhook", message: "the row was not found after the update")
                    }
                    return updated
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                throw StoreError.webhookExists(flow: flowName, name: finalName)
            }
        }
    }

    /// Deletes a webhook for good; its token stops working at once.
    public func deleteWebhook(named name: String, flowName: String) async throws(StoreError) {
        try await StoreError.wrapping("delete webhook '\(name)' of workflow '\(flowName)'") {
            try await database.withSession { session in
                let flowID = try await Self.liveFlowID(session, named: flowName, lock: true)
                guard
                    try await session.first(
                        "DELETE FROM webhooks WHERE flow_id = \(bind: flowID) AND name = \(bind: name) RETURNING id") != nil
                else {
                    throw StoreError.webhookNotFound(flow: flowName, name: name)
                }
            }
        }
    }

    /// Notes the time of a call.
    public func recordWebhookCall(id: Int64, at time: Date) async throws(StoreError) {
        try await StoreError.wrapping("record a webhook call") {
            try await database.withWriter { session in
                try await session.run(
                    "UPDATE webhooks SET last_called_at = \(bind: StoreTime.milliseconds(time)) WHERE id = \(bind: id)")
            }
        }
    }

    // MARK: - Helpers

    /// The id of the live workflow with this name. With `lock`, its row is locked on PostgreSQL,
    /// so a webhook cannot be written beside a concurrent delete of its workflow (which removes
    /// the workflow's webhooks); SQLite's `BEGIN IMMEDIATE` already serialises writers.
    private static func liveFlowID(_ session: StoreSession, named name: String, lock: Bool = false) async throws -> Int64 {
        let suffix: SQLQueryString = lock && session.dialect == .postgres ? " FOR UPDATE" : ""
        guard
            let id = try await session.first(
                "SELECT id FROM flows WHERE name = \(bind: name) AND deleted = \(bind: false)\(suffix)")?.int64("id")
        else {
            throw StoreError.flowNotFound(name)
        }
        return id
    }

    private static func webhookRow(_ session: StoreSession, flowID: Int64, name: String) async throws -> StoredWebhook? {
        try await session.first(
            """
            SELECT \(webhookColumns) FROM webhooks w JOIN flows f ON f.id = w.flow_id
            WHERE w.flow_id = \(bind: flowID) AND w.name = \(bind: name)
            """
        ).map(StoredWebhook.init(row:))
    }
}

extension StoredWebhook {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"), flowID: try row.int64("flow_id"), flowName: try row.string("flow_name"),
            name: try row.string("name"), tokenPrefix: try row.string("token_prefix"),
            hmacSecretEncrypted: try row.optionalString("hmac_secret_encrypted"), enabled: try row.bool("enabled"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            lastCalledAt: try row.optionalDate("last_called_at"))
    }
}
