import WorkFlowEngine

/// System settings (time zone, retention, ...) as JSON values under string keys.
public protocol SettingsStore: Sendable {
    func setting(_ key: String) async throws(StoreError) -> JSONValue?
    func setSetting(_ key: String, to value: JSONValue) async throws(StoreError)
    func settings() async throws(StoreError) -> [String: JSONValue]
    /// Removes the setting; `false` when there was none.
    func removeSetting(_ key: String) async throws(StoreError) -> Bool
}
