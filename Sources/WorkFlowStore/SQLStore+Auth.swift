import Foundation
import SQLKit
import WorkFlowEngine

extension SQLStore: AuthStore {
    private static let userColumns: SQLQueryString = "id, username, is_admin, enabled, created_at, updated_at, last_login_at, display_name, email"

    // MARK: Users

    /// Creates a user; the name must be free.
    public func createUser(username: String, passwordHash: String, isAdmin: Bool, enabled: Bool = true) async throws(StoreError) -> StoredUser {
        try AuthNames.checkUsername(username)
        let now = nowMilliseconds()
        return try await StoreError.wrapping("create user '\(username)'") {
            do {
                return try await database.withWriter { session in
                    let row = try await session.first(
                        """
                        INSERT INTO users (username, password_hash, is_admin, enabled, created_at, updated_at)
                        VALUES (\(bind: username), \(bind: passwordHash), \(bind: isAdmin), \(bind: enabled), \(bind: now), \(bind: now))
                        RETURNING \(Self.userColumns)
                        """)
                    guard let row else { throw StoreError.database(operation: "create a user", message: "the new row was not returned") }
                    return try Self.user(row)
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                throw StoreError.userExists(username)
            }
        }
    }

    /// The user with this name, if any.
    public func user(named username: String) async throws(StoreError) -> StoredUser? {
        try await StoreError.wrapping("read user '\(username)'") {
            try await database.withConnection { session in
                try await session.first("SELECT \(Self.userColumns) FROM users WHERE username = \(bind: username)").map(Self.user)
            }
        }
    }

    /// Every user, by name.
    public func users() async throws(StoreError) -> [StoredUser] {
        try await StoreError.wrapping("list the users") {
            try await database.withConnection { session in
                try await session.all("SELECT \(Self.userColumns) FROM users ORDER BY username").map(Self.user)
            }
        }
    }

    /// How many users exist.
    public func userCount() async throws(StoreError) -> Int {
        try await StoreError.wrapping("count the users") {
            try await database.withConnection { session in
                try await session.first("SELECT COUNT(*) AS n FROM users")?.int("n") ?? 0
            }
        }
    }

    /// The user and their password hash.
    public func credentials(username: String) async throws(StoreError) -> (user: StoredUser, passwordHash: String)? {
        try await StoreError.wrapping("read the credentials of user '\(username)'") {
            try await database.withConnection { session in
                guard
                    let row = try await session.first(
                        "SELECT \(Self.userColumns), password_hash FROM users WHERE username = \(bind: username)")
                else { return nil }
                return (try Self.user(row), try row.string("password_hash"))
            }
        }
    }

    /// Replaces a user's password hash.
    public func setPasswordHash(username: String, to hash: String) async throws(StoreError) {
        let now = nowMilliseconds()
        try await updateUser(username, operation: "change the password of user '\(username)'") { session in
            try await session.first(
                "UPDATE users SET password_hash = \(bind: hash), updated_at = \(bind: now) WHERE username = \(bind: username) RETURNING id")
        }
    }

    /// Enables or disables a user; a disabled user cannot sign in and their keys stop working.
    public func setUserEnabled(username: String, _ enabled: Bool) async throws(StoreError) {
        let now = nowMilliseconds()
        try await updateUser(username, operation: "\(enabled ? "enable" : "disable") user '\(username)'") { session in
            try await session.first(
                "UPDATE users SET enabled = \(bind: enabled), updated_at = \(bind: now) WHERE username = \(bind: username) RETURNING id")
        }
    }

    public func setProfile(username: String, displayName: String?, email: String?) async throws(StoreError) -> StoredUser {
        try AuthNames.checkProfile(displayName: displayName, email: email)
        let now = nowMilliseconds()
        return try await StoreError.wrapping("change the profile of user '\(username)'") {
            try await database.withWriter { session in
                guard
                    let row = try await session.first(
                        """
                        UPDATE users SET display_name = \(bind: displayName), email = \(bind: email), updated_at = \(bind: now)
                        WHERE username = \(bind: username) RETURNING \(Self.userColumns)
                        """)
                else { throw StoreError.userNotFound(username) }
                return try Self.user(row)
            }
        }
    }

    /// Notes a successful sign-in.
    public func recordLogin(userID: Int64, at time: Date) async throws(StoreError) {
        try await StoreError.wrapping("record a sign-in") {
            try await database.withWriter { session in
                try await session.run("UPDATE users SET last_login_at = \(bind: StoreTime.milliseconds(time)) WHERE id = \(bind: userID)")
            }
        }
    }

    private func updateUser(
        _ username: String, operation: String, _ statement: @escaping (StoreSession) async throws -> (any SQLRow)?
    ) async throws(StoreError) {
        try await StoreError.wrapping(operation) {
            try await database.withWriter { session in
                guard try await statement(session) != nil else { throw StoreError.userNotFound(username) }
            }
        }
    }

    static func user(_ row: any SQLRow) throws -> StoredUser {
        StoredUser(
            id: try row.int64("id"), username: try row.string("username"), isAdmin: try row.bool("is_admin"),
            enabled: try row.bool("enabled"), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            lastLoginAt: try row.optionalDate("last_login_at"), displayName: try row.optionalString("display_name"),
            email: try row.optionalString("email"))
    }

    // MARK: API keys

    private static let keyColumns: SQLQueryString = """
        k.id, k.name, k.prefix, k.user_id, u.username, k.enabled, k.created_at, k.last_used_at
        """

    /// Stores a new key's hash under a name and its public prefix, owned by a user.
    public func createAPIKey(name: String, prefix: String, keyHash: String, userID: Int64) async throws(StoreError) -> StoredAPIKey {
        try AuthNames.checkAPIKeyName(name)
        let now = nowMilliseconds()
        return try await StoreError.wrapping("create API key '\(name)'") {
            do {
                return try await database.withSession { session in
                    try await session.run(
                        """
                        INSERT INTO api_keys (name, prefix, key_hash, user_id, enabled, created_at)
                        VALUES (\(bind: name), \(bind: prefix), \(bind: keyHash), \(bind: userID), \(bind: true), \(bind: now))
                        """)
                    guard let key = try await Self.apiKey(session, where: "k.name = \(bind: name)") else {
                        throw StoreError.database(operation: "create an API key", message: "the new row was not found")
                    }
                    return key.key
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                throw StoreError.apiKeyExists(name)
            } catch let error where DatabaseErrorText.isForeignKeyViolation(error) {
                throw StoreError.userNotFound("#\(userID)")
            }
        }
    }

    /// The key with this prefix, and its hash.
    public func apiKey(prefix: String) async throws(StoreError) -> (key: StoredAPIKey, keyHash: String)? {
        try await StoreError.wrapping("read an API key") {
            try await database.withConnection { session in
                try await Self.apiKey(session, where: "k.prefix = \(bind: prefix)")
            }
        }
    }

    /// Every API key, by name.
    public func apiKeys() async throws(StoreError) -> [StoredAPIKey] {
        try await StoreError.wrapping("list the API keys") {
            try await database.withConnection { session in
                try await session.all(
                    "SELECT \(Self.keyColumns) FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.name"
                ).map(Self.apiKey)
            }
        }
    }

    /// Enables or disables a key.
    public func setAPIKeyEnabled(name: String, _ enabled: Bool) async throws(StoreError) {
        try await StoreError.wrapping("\(enabled ? "enable" : "disable") API key '\(name)'") {
            try await database.withWriter { session in
                guard
                    try await session.first("UPDATE api_keys SET enabled = \(bind: enabled) WHERE name = \(bind: name) RETURNING id") != nil
                else { throw StoreError.apiKeyNotFound(name) }
            }
        }
    }

    /// Deletes a key for good.
    public func deleteAPIKey(name: String) async throws(StoreError) {
        try await StoreError.wrapping("delete API key '\(name)'") {
            try await database.withWriter { session in
                guard try await session.first("DELETE FROM api_keys WHERE name = \(bind: name) RETURNING id") != nil else {
                    throw StoreError.apiKeyNotFound(name)
                }
            }
        }
    }

    /// Notes that a key was used.
    public func recordAPIKeyUse(id: Int64, at time: Date) async throws(StoreError) {
        try await StoreError.wrapping("record the use of an API key") {
            try await database.withWriter { session in
                try await session.run("UPDATE api_keys SET last_used_at = \(bind: StoreTime.milliseconds(time)) WHERE id = \(bind: id)")
            }
        }
    }

    private static func apiKey(_ session: StoreSession, where condition: SQLQueryString) async throws -> (key: StoredAPIKey, keyHash: String)? {
        guard
            let row = try await session.first(
                "SELECT \(keyColumns), k.key_hash FROM api_keys k JOIN users u ON u.id = k.user_id WHERE \(condition)")
        else { return nil }
        return (try apiKey(row), try row.string("key_hash"))
    }

    private static func apiKey(_ row: any SQLRow) throws -> StoredAPIKey {
        StoredAPIKey(
            id: try row.int64("id"), name: try row.string("name"), prefix: try row.string("prefix"), userID: try row.int64("user_id"),
            username: try row.string("username"), enabled: try row.bool("enabled"), createdAt: try row.date("created_at"),
            lastUsedAt: try row.optionalDate("last_used_at"))
    }

    // MARK: Sessions

    /// Stores a new browser session.
    public func createSession(tokenHash: String, userID: Int64, csrfToken: String, expiresAt: Date) async throws(StoreError) {
        let now = nowMilliseconds()
        try await StoreError.wrapping("create a session") {
            try await database.withWriter { session in
                try await session.run(
                    """
                    INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                    VALUES (\(bind: tokenHash), \(bind: userID), \(bind: csrfToken), \(bind: now), \(bind: StoreTime.milliseconds(expiresAt)))
                    """)
            }
        }
    }

    /// The unexpired session with this token hash, with its user.
    public func session(tokenHash: String, now: Date) async throws(StoreError) -> StoredSession? {
        try await StoreError.wrapping("read a session") {
            try await database.withConnection { session in
                guard
                    let row = try await session.first(
                        """
                        SELECT s.token_hash, s.csrf_token, s.created_at AS session_created_at, s.expires_at,
                            u.id, u.username, u.is_admin, u.enabled, u.created_at, u.updated_at, u.last_login_at, u.display_name, u.email
                        FROM sessions s JOIN users u ON u.id = s.user_id
                        WHERE s.token_hash = \(bind: tokenHash) AND s.expires_at > \(bind: StoreTime.milliseconds(now))
                        """)
                else { return nil }
                return StoredSession(
                    tokenHash: try row.string("token_hash"), user: try Self.user(row), csrfToken: try row.string("csrf_token"),
                    createdAt: try row.date("session_created_at"), expiresAt: try row.date("expires_at"))
            }
        }
    }

    /// Ends a session (sign-out).
    public func deleteSession(tokenHash: String) async throws(StoreError) {
        try await StoreError.wrapping("delete a session") {
            try await database.withWriter { session in
                try await session.run("DELETE FROM sessions WHERE token_hash = \(bind: tokenHash)")
            }
        }
    }

    /// Ends every session of a user but the one with `keeping` (after a password change, other
    /// browsers signed in with the old password are signed out).
    public func deleteSessions(userID: Int64, keeping kept: String?) async throws(StoreError) {
        try await StoreError.wrapping("end the sessions of a user") {
            try await database.withWriter { session in
                try await session.run(
                    "DELETE FROM sessions WHERE user_id = \(bind: userID) AND token_hash <> \(bind: kept ?? "")")
            }
        }
    }

    /// Removes sessions that have expired.
    public func purgeExpiredSessions(now: Date) async throws(StoreError) -> Int {
        try await StoreError.wrapping("remove expired sessions") {
            try await database.withWriter { session in
                try await session.all(
                    "DELETE FROM sessions WHERE expires_at <= \(bind: StoreTime.milliseconds(now)) RETURNING token_hash"
                ).count
            }
        }
    }

    // MARK: Audit log

    /// Appends one audit entry.
    ///
    /// Entries written at the same moment share one statement (see ``GroupCommit``).
    public func appendAudit(_ entry: AuditEntry) async throws(StoreError) {
        try await runWrites.audit.submit(entry) { [self] batch in await writeAuditEntries(batch) }.get()
    }

    private func writeAuditEntries(_ batch: [AuditEntry]) async -> [Result<Void, StoreError>] {
        var rejected = false
        do {
            try await StoreError.wrapping(batch.count == 1 ? "write an audit entry" : "write \(batch.count) audit entries") {
                do {
                    try await insertAuditEntries(batch)
                } catch {
                    rejected = DatabaseErrorText.isRejectedStatement(error)
                    throw error
                }
            }
            return Array(repeating: .success(()), count: batch.count)
        } catch {
            // One entry the database cannot store must not take the others with it.
            guard rejected else { return Array(repeating: .failure(error), count: batch.count) }
            return await oneByOne(batch, error: error, writeAuditEntries)
        }
    }

    private func insertAuditEntries(_ batch: [AuditEntry]) async throws {
        try await database.withWriter { session in
            let rows = batch.map { entry -> SQLQueryString in
                """
                (\(bind: StoreTime.milliseconds(entry.time)), \(bind: entry.actor), \(bind: entry.action), \(bind: entry.targetType),
                 \(bind: entry.targetName), \(bind: entry.clientIP), \(bind: JSONColumn.text(entry.detail)))
                """
            }
            try await session.run(
                """
                INSERT INTO audit_log (time, actor, action, target_type, target_name, client_ip, detail)
                VALUES \(rows.joined(separator: ", "))
                """)
        }
    }

    /// Audit entries, newest first.
    public func auditEntries(_ query: AuditQuery) async throws(StoreError) -> [AuditEntry] {
        var conditions: [SQLQueryString] = []
        if let actor = query.actor { conditions.append("actor = \(bind: actor)") }
        if let type = query.targetType { conditions.append("target_type = \(bind: type)") }
        if let name = query.targetName { conditions.append("target_name = \(bind: name)") }
        let filter: SQLQueryString = conditions.isEmpty ? "" : "WHERE \(conditions.joined(separator: " AND "))"
        return try await StoreError.wrapping("read the audit log") {
            try await database.withConnection { session in
                try await session.all(
                    """
                    SELECT id, time, actor, action, target_type, target_name, client_ip, detail FROM audit_log \(filter)
                    ORDER BY id DESC LIMIT \(bind: max(0, query.limit)) OFFSET \(bind: max(0, query.offset))
                    """
                ).map { row in
                    AuditEntry(
                        id: try row.int64("id"), time: try row.date("time"), actor: try row.string("actor"),
                        action: try row.string("action"), targetType: try row.string("target_type"),
                        targetName: try row.optionalString("target_name"), clientIP: try row.optionalString("client_ip"),
                        detail: try JSONColumn.value(try row.string("detail"), table: "audit_log", column: "detail"))
                }
            }
        }
    }
}
