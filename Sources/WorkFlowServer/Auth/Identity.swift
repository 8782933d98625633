import WorkFlowStore

/// What a caller may do. The full role model comes later; for now an administrator may do
/// everything, and any other enabled user may read and start runs.
public enum Permission: String, Sendable, Hashable, CaseIterable {
    /// Read workflows, runs, modules and logs.
    case read
    /// Start and cancel runs.
    case run
    /// Create, change and delete workflows, schedules and webhooks.
    case write
    /// Users, API keys, settings, backups and the audit log.
    case admin

    var verb: String {
        switch self {
        case .read: "read this"
        case .run: "start or cancel runs"
        case .write: "change workflows or modules"
        case .admin: "administer the system"
        }
    }
}

/// An authenticated caller: a user, signed in with a browser session or acting through one of
/// their API keys (a key acts as its owner).
public struct Identity: Sendable, Hashable {
    public enum Method: Sendable, Hashable {
        /// A browser session; unsafe requests must echo its CSRF token.
        case session(tokenHash: String, csrfToken: String)
        /// An API key, by name.
        case apiKey(name: String)
    }

    public var user: StoredUser
    public var method: Method

    public init(user: StoredUser, method: Method) {
        self.user = user
        self.method = method
    }

    /// `user:<name>` or `apikey:<name>`: who did it, for run records and the audit log.
    public var actor: String {
        switch method {
        case .session: "user:\(user.username)"
        case .apiKey(let name): "apikey:\(name)"
        }
    }

    public func allows(_ permission: Permission) -> Bool {
        if user.isAdmin { return true }
        return permission == .read || permission == .run
    }
}
