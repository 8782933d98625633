import Foundation
import WorkFlowEngine

/// WorkFlow's settings, read from `etc/global.json` (JSON5, the seed's file and key names), then
/// `WORKFLOW_*` environment variables, then command-line flags; each later source wins.
public struct Configuration: Sendable, Equatable {
    /// The folder everything a node writes lives in (`WORKFLOW_HOME`, default `./var`).
    public var home: String
    /// Where data is stored: `sqlite:///path.db` or `postgres://user:pass@host:port/db`.
    /// Default: SQLite at `<home>/workflow.db`.
    public var databaseURL: String?
    public var log: Log
    public var api: Listener
    public var web: Listener
    /// The zone times are shown in (IANA name, e.g. `Europe/Paris`); storage is always UTC.
    public var timezone: String
    /// bcrypt's work factor for passwords (4–16; default 12).
    public var passwordCost: Int = 12
    /// A PEM certificate chain and private key: the server speaks HTTPS when both are set.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// The Python interpreter custom modules run on: a path, or a name looked up in `PATH`.
    public var python: String = "python3"

    public struct Log: Sendable, Equatable {
        /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
        public var level: String = "info"
        /// Folder of the log file, relative to `home` unless absolute.
        public var path: String = "logs"
        public var file: String = "wf.log"
        /// Bytes before the log file rotates (the seed multiplied this by 1 GiB by mistake; here it is bytes).
        public var rotateMaxSize: Int = 10_485_760
        public var rotateBackupCount: Int = 7
        /// Days the system log table keeps lines.
        public var retentionDays: Int = 30
    }

    public struct Listener: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var debug: Bool

        public init(host: String, port: Int, debug: Bool = false) {
            self.host = host
            self.port = port
            self.debug = debug
        }
    }

    /// The defaults: everything under `./var`, SQLite, the seed's ports on 127.0.0.1.
    public init(home: String = "var") {
        self.home = home
        self.databaseURL = nil
        self.log = Log()
        self.api = Listener(host: "127.0.0.1", port: 5001)
        self.web = Listener(host: "127.0.0.1", port: 5002)
        self.timezone = "UTC"
    }

    /// The database URL in force: the configured one, or SQLite in `home`.
    public var effectiveDatabaseURL: String {
        databaseURL ?? "sqlite://" + absolute(home) + "/workflow.db"
    }

    /// The log file's full path.
    public var logFilePath: String {
        let folder = log.path.hasPrefix("/") ? log.path : absolute(home) + "/" + log.path
        return folder + "/" + log.file
    }

    /// The folder of custom module sources, `<home>/modules` (the seed's `mod/`).
    public var modulesPath: String {
        absolute(home) + "/modules"
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// A configuration problem, with where it was found (`etc/global.json: api.port`, `WORKFLOW_API_PORT`).
public struct ConfigurationIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        /// The setting was ignored; WorkFlow starts anyway.
        case warning
        /// WorkFlow cannot start with this setting.
        case error
    }

    public var severity: Severity
    public var source: String
    public var message: String

    public var description: String { "\(severity.rawValue): \(source): \(message)" }
}

/// Configuration that cannot be used; lists every error found.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigurationIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
