/// Durable storage for workflows, their versions, runs, logs and settings, on SQLite or PostgreSQL.
public enum WorkFlowStoreInfo {
    /// The schema version this build writes (the number of migrations it knows).
    public static let name = "WorkFlowStore"
}
