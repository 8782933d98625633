import Foundation
import Testing
import WorkFlowConfig

/// A configuration file in a temporary folder, removed afterwards.
final class ConfigFile {
    let directory: URL
    let path: String

    init(_ text: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("global.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

@Suite("configuration")
struct ConfigurationTests {
    @Test("with no file and no environment the defaults apply")
    func defaults() throws {
        let loaded = try ConfigurationLoader(environment: [:]).load()
        #expect(loaded.configuration == Configuration())
        #expect(loaded.configuration.home == "var")
        #expect(loaded.configuration.api.port == 5001)
        #expect(loaded.configuration.web.port == 5002)
        #expect(loaded.configuration.effectiveDatabaseURL.hasSuffix("/var/workflow.db"))
        #expect(loaded.configuration.effectiveDatabaseURL.hasPrefix("sqlite:///"))
        #expect(loaded.warnings.isEmpty)
    }

    @Test("the seed's JSON5 file is read; its MySQL and table keys are reported as ignored")
    func seedFile() throws {
        let file = try ConfigFile(
            """
            {
              // the seed's shipped file
              db: {host: "172.18.0.7", port: "3306", username: "root", password: "pass", database: "workflow", charset: "utf8mb4"},
              log: {path: "log", file: "wf.log", table: "wf_syslog", level: "debug", rotate: {max_size: 500, backup_count: 7}},
              lib: {path: "lib"}, mod: {path: "mod"}, flow: {table: "wf_flow"},
              api: {host: "0.0.0.0", port: 5001, debug: true},
              web: {secret_key: "change-me-in-production", port: 5002, debug: true},
            }
            """)
        let loaded = try ConfigurationLoader(environment: [:]).load(file: file.path)
        let c = loaded.configuration
        #expect(c.log.level == "debug")
        #expect(c.log.path == "log")
        #expect(c.log.rotateMaxSize == 500 * 1_048_576)
        #expect(c.log.rotateBackupCount == 7)
        #expect(c.api == Configuration.Listener(host: "0.0.0.0", port: 5001, debug: true))
        #expect(c.web.port == 5002)
        #expect(c.databaseURL == nil)
        let sources = loaded.warnings.map(\.source)
        #expect(sources.contains("\(file.path): db.host"))
        #expect(sources.contains("\(file.path): log.table"))
        #expect(sources.contains("\(file.path): web.secret_key"))
        #expect(sources.contains("\(file.path): log.rotate.max_size"))
        #expect(loaded.warnings.first { $0.source.hasSuffix("db.host") }?.message.contains("set db.url") == true)
    }

    @Test("environment variables override the file, flags override both")
    func precedence() throws {
        let file = try ConfigFile(#"{"api": {"port": 6001}, "log": {"level": "info"}, "db": {"url": "sqlite:///tmp/a.db"}}"#)
        let loader = ConfigurationLoader(environment: ["WORKFLOW_API_PORT": "7001", "WORKFLOW_LOG_LEVEL": "WARNING", "WORKFLOW_HOME": "/srv/wf"])
        var loaded = try loader.load(file: file.path)
        #expect(loaded.configuration.api.port == 7001)
        #expect(loaded.configuration.log.level == "warning")
        #expect(loaded.configuration.home == "/srv/wf")
        #expect(loaded.configuration.effectiveDatabaseURL == "sqlite:///tmp/a.db")
        loaded = try loader.load(file: file.path, overrides: .init(home: "/opt/wf", databaseURL: "postgres://u@127.0.0.1/wf", logLevel: "error"))
        #expect(loaded.configuration.home == "/opt/wf")
        #expect(loaded.configuration.effectiveDatabaseURL == "postgres://u@127.0.0.1/wf")
        #expect(loaded.configuration.log.level == "error")
        #expect(loaded.configuration.logFilePath == "/opt/wf/logs/wf.log")
    }

    @Test("every malformed value is reported at once, naming where it came from")
    func errors() throws {
        let file = try ConfigFile(#"{"api": {"port": "http"}, "web": {"port": 70000, "debug": "maybe"}, "log": {"level": "loud"}, "db": {"url": "mysql://x"}, "timezone": "Mars/Base"}"#)
        do {
            _ = try ConfigurationLoader(environment: ["WORKFLOW_LOG_RETENTION_DAYS": "0"]).load(file: file.path)
            Issue.record("expected a configuration error")
        } catch {
            let messages = error.issues.map(\.description)
            #expect(messages == [
                "error: \(file.path): api.port: expected a whole number, got string \"http\"",
                "error: \(file.path): web.port: expected a number from 1 to 65535, got 70000",
                "error: \(file.path): web.debug: expected true or false, got string \"maybe\"",
                "error: \(file.path): log.level: unknown level \"loud\" (use trace, debug, info, notice, warning, error, critical)",
                "error: \(file.path): db.url: expected sqlite:///path/to/file.db or postgres://user:password@host:port/database",
                "error: \(file.path): timezone: unknown time zone \"Mars/Base\" (use an IANA name such as UTC or Europe/Paris)",
                "error: WORKFLOW_LOG_RETENTION_DAYS: expected a number from 1 up, got 0",
            ])
        }
    }

    @Test("a file that is not JSON5 is an error with its line and column")
    func badFile() throws {
        let file = try ConfigFile("{api: {port: 5001,,}}")
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(file: file.path) }
        do {
            _ = try ConfigurationLoader(environment: [:]).load(file: file.path)
        } catch {
            #expect(error.issues.first?.message.hasPrefix("not valid JSON5: line 1, column 19") == true)
        }
    }

    @Test("a named file that does not exist is an error; unknown keys and variables are warnings")
    func missingAndUnknown() throws {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(file: "/nonexistent/global.json") }
        let file = try ConfigFile(#"{"api": {"prot": 1}}"#)
        let loaded = try ConfigurationLoader(environment: ["WORKFLOW_APIPORT": "1", "WORKFLOW_TEST_POSTGRES_URL": "x"]).load(file: file.path)
        #expect(loaded.warnings.map(\.source) == ["\(file.path): api.prot", "WORKFLOW_APIPORT"])
    }

    @Test("server settings: the password cost within 4–16, TLS files in pairs, the admin password left to serve")
    func serverSettings() throws {
        let loaded = try ConfigurationLoader(
            environment: ["WORKFLOW_PASSWORD_COST": "4", "WORKFLOW_ADMIN_PASSWORD": "secret", "WORKFLOW_TLS_CERT": "c.pem", "WORKFLOW_TLS_KEY": "k.pem"]
        ).load()
        #expect(loaded.configuration.passwordCost == 4)
        #expect(loaded.configuration.tlsCertificatePath == "c.pem")
        #expect(loaded.configuration.tlsKeyPath == "k.pem")
        #expect(loaded.warnings.isEmpty)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: ["WORKFLOW_PASSWORD_COST": "40"]).load() }
        do {
            _ = try ConfigurationLoader(environment: ["WORKFLOW_TLS_CERT": "c.pem"]).load()
            Issue.record("a certificate without a key was accepted")
        } catch {
            #expect(error.issues.map(\.message) == ["give both the certificate and the key, or neither"])
        }
    }

    @Test("modules.python names the interpreter of custom modules: python3 by default, from the file or WORKFLOW_PYTHON; never empty")
    func pythonInterpreter() throws {
        #expect(try ConfigurationLoader(environment: [:]).load().configuration.python == "python3")
        let loaded = try ConfigurationLoader(environment: ["WORKFLOW_PYTHON": "/opt/venv/bin/python3"]).load()
        #expect(loaded.configuration.python == "/opt/venv/bin/python3")
        #expect(loaded.warnings.isEmpty)
        do {
            _ = try ConfigurationLoader(environment: ["WORKFLOW_PYTHON": " "]).load()
            Issue.record("an empty interpreter was accepted")
        } catch {
            #expect(error.issues.map(\.source) == ["WORKFLOW_PYTHON"])
        }
    }
}
