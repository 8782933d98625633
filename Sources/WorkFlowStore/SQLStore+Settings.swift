import SQLKit
import WorkFlowEngine

extension SQLStore: SettingsStore {
    /// The value stored under `key`, or `nil`.
    public func setting(_ key: String) async throws(StoreError) -> JSONValue? {
        try await StoreError.wrapping("read setting '\(key)'") {
            try await database.withConnection { session in
                guard let text = try await session.first(#"SELECT value FROM settings WHERE "key" = \#(bind: key)"#)?.string("value")
                else { return nil }
                return try JSONColumn.value(text, table: "settings", column: "value")
            }
        }
    }

    /// Stores `value` under `key`, replacing what was there.
    public func setSetting(_ key: String, to value: JSONValue) async throws(StoreError) {
        let now = nowMilliseconds()
        try await StoreError.wrapping("write setting '\(key)'") {
            try await database.withWriter { session in
                try await session.run(
                    #"""
                    INSERT INTO settings ("key", value, updated_at) VALUES (\#(bind: key), \#(bind: JSONColumn.text(value)), \#(bind: now))
                    ON CONFLICT ("key") DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """#)
            }
        }
    }

    /// Every setting.
    public func settings() async throws(StoreError) -> [String: JSONValue] {
        try await StoreError.wrapping("read the settings") {
            try await database.withConnection { session in
                var settings: [String: JSONValue] = [:]
                for row in try await session.all(#"SELECT "key", value FROM settings"#) {
                    settings[try row.string("key")] = try JSONColumn.value(try row.string("value"), table: "settings", column: "value")
                }
                return settings
            }
        }
    }

    /// Removes the setting; `false` when there was none.
    public func removeSetting(_ key: String) async throws(StoreError) -> Bool {
        try await StoreError.wrapping("remove setting '\(key)'") {
            try await database.withWriter { session in
                try await session.first(#"DELETE FROM settings WHERE "key" = \#(bind: key) RETURNING "key""#) != nil
            }
        }
    }
}
