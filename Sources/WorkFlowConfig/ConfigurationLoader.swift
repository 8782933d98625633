import Foundation
import WorkFlowEngine

/// Reads ``Configuration`` from the file, the environment and flags, collecting every problem.
public struct ConfigurationLoader: Sendable {
    /// The file read when none is named and it exists (relative to the working directory).
    public static let defaultFile = "etc/global.json"

    /// Values given on the command line; `nil` means "not given".
    public struct Overrides: Sendable, Equatable {
        public var home: String?
        public var databaseURL: String?
        public var logLevel: String?

        public init(home: String? = nil, databaseURL: String? = nil, logLevel: String? = nil) {
            self.home = home
            self.databaseURL = databaseURL
            self.logLevel = logLevel
        }
    }

    /// What was loaded, and the warnings to show (ignored or suspicious settings).
    public struct Loaded: Sendable {
        public var configuration: Configuration
        public var warnings: [ConfigurationIssue]
        /// The file that was read, if any.
        public var file: String?
    }

    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads the configuration. `file` (or `WORKFLOW_CONFIG`) must exist when given; the default
    /// file is read only if present, so `workflow` runs with no file at all.
    public func load(file explicitFile: String? = nil, overrides: Overrides = Overrides()) throws(ConfigurationError) -> Loaded {
        var state = LoadState()
        let file = explicitFile ?? environment["WORKFLOW_CONFIG"]
        var readFile: String?
        if let file {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ConfigurationError(issues: [ConfigurationIssue(severity: .error, source: file, message: "no such configuration file")])
            }
            readFile = file
        } else if FileManager.default.fileExists(atPath: Self.defaultFile) {
            readFile = Self.defaultFile
        }
        if let readFile { state.apply(fileAt: readFile) }
        state.apply(environment: environment)
        if let home = overrides.home { state.configuration.home = home }
        if let url = overrides.databaseURL { state.set("db.url", .string(url), source: "--db-url") }
        if let level = overrides.logLevel { state.set("log.level", .string(level), source: "--log-level") }
        if (state.configuration.tlsCertificatePath == nil) != (state.configuration.tlsKeyPath == nil) {
            state.problem(.error, "web.tls_cert, web.tls_key", "give both the certificate and the key, or neither")
        }
        let errors = state.issues.filter { $0.severity == .error }
        if !errors.isEmpty { throw ConfigurationError(issues: errors) }
        return Loaded(configuration: state.configuration, warnings: state.issues.filter { $0.severity == .warning }, file: readFile)
    }
}

/// The keys WorkFlow reads, the seed's keys it knowingly ignores, and how each is applied.
private struct LoadState {
    var configuration = Configuration()
    var issues: [ConfigurationIssue] = []

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Seed keys with no meaning here, and why.
    static let ignoredSeedKeys: [String: String] = [
        "db.host": "the seed's MySQL settings are not used; WorkFlow stores its data in SQLite or PostgreSQL (set db.url)",
        "db.port": "the seed's MySQL settings are not used (set db.url)",
        "db.username": "the seed's MySQL settings are not used (set db.url)",
        "db.password": "the seed's MySQL settings are not used (set db.url)",
        "db.database": "the seed's MySQL settings are not used (set db.url)",
        "db.charset": "the seed's MySQL settings are not used (set db.url)",
        "log.table": "the system log table is managed by WorkFlow",
        "flow.table": "the workflow table is managed by WorkFlow",
        "lib.path": "WorkFlow has no Python library folder",
        "mod.path": "custom modules live in the database and $WORKFLOW_HOME/modules",
        "web.secret_key": "sessions are signed with a key kept in $WORKFLOW_HOME",
    ]

    mutating func problem(_ severity: ConfigurationIssue.Severity, _ source: String, _ message: String) {
        issues.append(ConfigurationIssue(severity: severity, source: source, message: message))
    }

    mutating func apply(fileAt path: String) {
        let value: JSONValue
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            value = try JSONParser(allowsJSON5: true).parse(text)
        } catch let error as JSONParseError {
            problem(.error, path, "not valid JSON5: \(error.description)")
            return
        } catch {
            problem(.error, path, "cannot be read: \(error.localizedDescription)")
            return
        }
        guard case .object(let root) = value else {
            problem(.error, path, "expected an object of settings, got \(ParameterReader.describe(value))")
            return
        }
        walk(root, prefix: "", file: path)
    }

    private mutating func walk(_ object: JSONObject, prefix: String, file: String) {
        for (key, value) in object {
            let full = prefix.isEmpty ? key : "\(prefix).\(key)"
            if case .object(let nested) = value, !Self.isLeaf(full) {
                walk(nested, prefix: full, file: file)
            } else {
                set(full, value, source: "\(file): \(full)")
            }
        }
    }

    static func isLeaf(_ key: String) -> Bool {
        ["home", "timezone", "db.url"].contains(key)
    }

    mutating func apply(environment: [String: String]) {
        let names: [String: String] = [
            "WORKFLOW_HOME": "home", "WORKFLOW_DB_URL": "db.url", "WORKFLOW_TIMEZONE": "timezone",
            "WORKFLOW_LOG_LEVEL": "log.level", "WORKFLOW_LOG_PATH": "log.path", "WORKFLOW_LOG_FILE": "log.file",
            "WORKFLOW_LOG_RETENTION_DAYS": "log.retention_days",
            "WORKFLOW_API_HOST": "api.host", "WORKFLOW_API_PORT": "api.port",
            "WORKFLOW_WEB_HOST": "web.host", "WORKFLOW_WEB_PORT": "web.port",
            "WORKFLOW_PASSWORD_COST": "auth.password_cost",
            "WORKFLOW_TLS_CERT": "web.tls_cert", "WORKFLOW_TLS_KEY": "web.tls_key",
            "WORKFLOW_PYTHON": "modules.python",
        ]
        // Read by `workflow serve` itself, never stored in the configuration.
        let consumedElsewhere: Set<String> = ["WORKFLOW_CONFIG", "WORKFLOW_ADMIN_PASSWORD"]
        for (name, text) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("WORKFLOW_") {
            if let key = names[name] {
                set(key, .string(text), source: name)
            } else if !consumedElsewhere.contains(name), !name.hasPrefix("WORKFLOW_TEST_") {
                problem(.warning, name, "unknown setting, ignored (known: \(names.keys.sorted().joined(separator: ", ")))")
            }
        }
    }

    mutating func set(_ key: String, _ value: JSONValue, source: String) {
        if let reason = Self.ignoredSeedKeys[key] {
            problem(.warning, source, "ignored: \(reason)")
            return
        }
        switch key {
        case "home": if let s = text(value, source) { configuration.home = s }
        case "timezone":
            if let s = text(value, source) {
                if TimeZone(identifier: s) == nil {
                    problem(.error, source, "unknown time zone \"\(s)\" (use an IANA name such as UTC or Europe/Paris)")
                } else {
                    configuration.timezone = s
                }
            }
        case "db.url":
            if let s = text(value, source) {
                if s.hasPrefix("sqlite:") || s.hasPrefix("postgres://") || s.hasPrefix("postgresql://") {
                    configuration.databaseURL = s
                } else {
                    problem(.error, source, "expected sqlite:///path/to/file.db or postgres://user:password@host:port/database")
                }
            }
        case "log.level", "log.path", "log.file":
            guard var s = text(value, source) else { return }
            if key == "log.level" {
                s = s.lowercased()
                guard Self.logLevels.contains(s) else {
                    problem(.error, source, "unknown level \"\(s)\" (use \(Self.logLevels.joined(separator: ", ")))")
                    return
                }
                configuration.log.level = s
            } else if key == "log.path" {
                configuration.log.path = s
            } else {
                configuration.log.file = s
            }
        case "log.rotate.max_size":
            if let n = integer(value, source, minimum: 1) {
                // The seed multiplied this number by 1 GiB although its README said bytes; its
                // files hold small numbers such as 500. Small numbers are read as MiB here.
                if n < 1024 {
                    configuration.log.rotateMaxSize = n * 1_048_576
                    problem(.warning, source, "\(n) is read as \(n) MiB; give larger values in bytes")
                } else {
                    configuration.log.rotateMaxSize = n
                }
            }
        case "log.rotate.backup_count": if let n = integer(value, source, minimum: 0) { configuration.log.rotateBackupCount = n }
        case "log.retention_days": if let n = integer(value, source, minimum: 1) { configuration.log.retentionDays = n }
        case "api.host": if let s = text(value, source) { configuration.api.host = s }
        case "web.host": if let s = text(value, source) { configuration.web.host = s }
        case "api.port": if let n = integer(value, source, minimum: 1, maximum: 65535) { configuration.api.port = n }
        case "web.port": if let n = integer(value, source, minimum: 1, maximum: 65535) { configuration.web.port = n }
        case "auth.password_cost": if let n = integer(value, source, minimum: 4, maximum: 16) { configuration.passwordCost = n }
        case "modules.python":
            if let s = text(value, source) {
                if s.trimmingCharacters(in: .whitespaces).isEmpty {
                    problem(.error, source, "expected the python3 to run custom modules with: a path, or a name found in PATH")
                } else {
                    configuration.python = s
                }
            }
        case "web.tls_cert": if let s = text(value, source) { configuration.tlsCertificatePath = s }
        case "web.tls_key": if let s = text(value, source) { configuration.tlsKeyPath = s }
        case "api.debug": if let b = boolean(value, source) { configuration.api.debug = b }
        case "web.debug": if let b = boolean(value, source) { configuration.web.debug = b }
        default:
            problem(.warning, source, "unknown setting, ignored")
        }
    }

    mutating func text(_ value: JSONValue, _ source: String) -> String? {
        if case .string(let s) = value, !s.isEmpty { return s }
        problem(.error, source, "expected text, got \(ParameterReader.describe(value))")
        return nil
    }

    mutating func integer(_ value: JSONValue, _ source: String, minimum: Int, maximum: Int = Int.max) -> Int? {
        var number: Int?
        if let i = value.intValue {
            number = i
        } else if case .string(let s) = value {
            number = Int(s.trimmingCharacters(in: .whitespaces))
        }
        guard let n = number else {
            problem(.error, source, "expected a whole number, got \(ParameterReader.describe(value))")
            return nil
        }
        guard n >= minimum, n <= maximum else {
            problem(.error, source, "expected a number from \(minimum)\(maximum == Int.max ? " up" : " to \(maximum)"), got \(n)")
            return nil
        }
        return n
    }

    mutating func boolean(_ value: JSONValue, _ source: String) -> Bool? {
        switch value {
        case .bool(let b): return b
        case .string(let s) where ["true", "1", "yes", "on"].contains(s.lowercased()): return true
        case .string(let s) where ["false", "0", "no", "off"].contains(s.lowercased()): return false
        default:
            problem(.error, source, "expected true or false, got \(ParameterReader.describe(value))")
            return nil
        }
    }
}
