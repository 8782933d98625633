import ArgumentParser
import Foundation
import Synchronization
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowCLI

/// A data folder and database for one test, removed afterwards.
final class TempHome {
    let directory: URL
    var databaseURL: String { "sqlite://" + directory.appendingPathComponent("workflow.db").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes `text` to a file in the folder and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Runs `workflow <arguments> --home <dir> --db-url <db>` in process; returns the exit code and what was printed.
    func run(_ arguments: [String]) async -> (code: Int32, out: String, err: String) {
        let console = BufferConsole()
        let code: Int32 = await CommandIO.$console.withValue(console) {
            do {
                var command = try WorkFlowCommand.parseAsRoot(arguments + ["--home", directory.path, "--db-url", databaseURL])
                if var async = command as? any AsyncParsableCommand {
                    try await async.run()
                } else {
                    try command.run()
                }
                return 0
            } catch {
                let code = WorkFlowCommand.exitCode(for: error)
                if code == .validationFailure {
                    console.err(WorkFlowCommand.fullMessage(for: error))
                    return WorkFlowCommand.invalidExitCode
                }
                if !(error is ExitCode) { console.err(WorkFlowCommand.fullMessage(for: error)) }
                return code.rawValue
            }
        }
        return (code, console.output, console.errors)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

let helloFlow = #"{"procedures": [{"name": "greet", "mod": "common.Kt", "method": "prt1", "params": {"msg": "hi ${var.who}"}}], "variables": {"who": "ops"}}"#

@Suite("store-backed commands")
struct StoreCommandTests {
    @Test("create, list, show, update, versions, diff and restore a workflow")
    func flowLifecycle() async throws {
        let home = try TempHome()
        let file = try home.file("hello.json", helloFlow)
        var r = await home.run(["flow", "create", "hello", file, "--comment", "first"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == "Created workflow 'hello' (version 1).\n")

        r = await home.run(["flow", "list", "--json"])
        let list = try JSONParser.parse(r.out)
        #expect(list.arrayValue?.map { $0["name"] } == ["hello"])
        #expect(list.arrayValue?.first?["version"] == 1)

        let changed = try home.file("hello2.json", helloFlow.replacingOccurrences(of: "\"ops\"", with: "\"devs\""))
        r = await home.run(["flow", "update", "hello", changed, "--comment", "devs"])
        #expect(r.out == "Updated workflow 'hello' (version 2).\n")

        r = await home.run(["flow", "versions", "hello", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.map { $0["version"] } == [2, 1])

        r = await home.run(["flow", "diff", "hello", "1", "2"])
        #expect(r.code == 0)
        #expect(r.out.contains("-    \"who\": \"ops\""))
        #expect(r.out.contains("+    \"who\": \"devs\""))

        r = await home.run(["flow", "restore", "hello", "1"])
        #expect(r.out == "Restored version 1 of 'hello' as version 3.\n")
        r = await home.run(["flow", "show", "hello", "--json"])
        #expect(try JSONParser.parse(r.out)["document"]?["variables"] == ["who": "ops"])
    }

    @Test("a name already taken, a missing workflow and an invalid document are clear errors")
    func flowErrors() async throws {
        let home = try TempHome()
        let file = try home.file("hello.json", helloFlow)
        _ = await home.run(["flow", "create", "hello", file])
        var r = await home.run(["flow", "create", "hello", file])
        #expect(r.code == 1)
        #expect(r.err.contains("hello"))
        r = await home.run(["flow", "show", "nope"])
        #expect(r.code == 1)
        #expect(r.err == "workflow: no workflow named 'nope'\n")
        let bad = try home.file("bad.json", #"{"procedures": [{"name": "x", "mod": "common.Nope", "method": "run"}]}"#)
        r = await home.run(["flow", "create", "bad", bad])
        #expect(r.code == 2)
        #expect(r.err.contains("procedures[0].mod: unknown module 'common.Nope'"))
        r = await home.run(["flow", "list", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.count == 1)
    }

    @Test("running a stored workflow records the run and its steps")
    func runStored() async throws {
        let home = try TempHome()
        _ = await home.run(["flow", "create", "hello", try home.file("hello.json", helloFlow)])
        var r = await home.run(["run", "hello", "--var", "who=team", "--json"])
        #expect(r.code == 0, "\(r.err)")
        let report = try JSONParser.parse(r.out)
        let runID = try #require(report["run_id"]?.intValue)
        #expect(report["steps"]?.arrayValue?.first?["result"] == ["status": 0, "msg": "ret from hi team"])

        r = await home.run(["runs", "show", "\(runID)", "--json"])
        let shown = try JSONParser.parse(r.out)
        #expect(shown["status"] == "success")
        #expect(shown["flow_name"] == "hello")
        #expect(shown["flow_version"] == 1)
        #expect(shown["inputs"] == ["who": "team"])
        #expect(shown["steps"]?.arrayValue?.first?["status"] == "success")
        #expect(shown["steps"]?.arrayValue?.first?["result"] == ["status": 0, "msg": "ret from hi team"])

        r = await home.run(["runs", "list", "--flow", "hello", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.map { $0["run_id"] } == [.int(runID)])
    }

    @Test("a disabled workflow does not run; enabling it does")
    func disabled() async throws {
        let home = try TempHome()
        _ = await home.run(["flow", "create", "hello", try home.file("hello.json", helloFlow)])
        _ = await home.run(["flow", "disable", "hello"])
        var r = await home.run(["run", "hello"])
        #expect(r.code == 2)
        #expect(r.err.contains("workflow 'hello' is disabled"))
        _ = await home.run(["flow", "enable", "hello"])
        r = await home.run(["run", "hello"])
        #expect(r.code == 0)
    }

    @Test("the seed's options create, list, show, rename, delete and run")
    func seedOptions() async throws {
        let home = try TempHome()
        var r = await home.run(["-c", #"{name: 'seed', procedures: [{name: 'a', mod: 'common.Kt', method: 'prt1', params: {msg: 'x'}}]}"#])
        #expect(r.code == 0, "\(r.err)")
        r = await home.run(["-l"])
        #expect(r.out.contains("seed"))
        r = await home.run(["-i", "seed"])
        #expect(try JSONParser.parse(r.out)["name"] == "seed")
        r = await home.run(["-r", #"{"current": "seed", "new": "seed2"}"#])
        #expect(r.out == "Renamed 'seed' to 'seed2'.\n")
        r = await home.run(["-f", "seed2"])
        #expect(r.code == 0)
        r = await home.run(["-t", "seed2"])
        #expect(r.code == 0)
        #expect(r.out.hasPrefix("Deleted workflow 'seed2' (kept as 'seed2_"))
        r = await home.run(["-i", "seed2"])
        #expect(r.code == 1)
        r = await home.run(["-f", "missing"])
        #expect(r.code == 2)
        r = await home.run(["-l", "-t", "x"])
        #expect(r.code == 2)
    }

    @Test("export then import under another name round-trips the document")
    func exportImport() async throws {
        let home = try TempHome()
        _ = await home.run(["flow", "create", "hello", try home.file("hello.json", helloFlow)])
        let exported = home.directory.appendingPathComponent("out.json").path
        var r = await home.run(["flow", "export", "hello", "--output", exported])
        #expect(r.code == 0)
        r = await home.run(["flow", "import", exported, "--name", "copy"])
        #expect(r.out == "Imported 'copy' (version 1).\n")
        r = await home.run(["flow", "show", "copy", "--json"])
        #expect(try JSONParser.parse(r.out)["document"] == (try JSONParser.parse(helloFlow)))
    }

    @Test("db status lists applied migrations; logs shows the run's lines")
    func databaseAndLogs() async throws {
        let home = try TempHome()
        var r = await home.run(["db", "status", "--json"])
        #expect(r.code == 0)
        let migrations = try JSONParser.parse(r.out).arrayValue ?? []
        #expect(!migrations.isEmpty)
        #expect(migrations.allSatisfy { $0["applied"] == true })
        let file = try home.file("hello.json", helloFlow)
        _ = await home.run(["run", "--file", file])
        r = await home.run(["logs", "--json"])
        #expect(r.code == 0)
        let lines = try JSONParser.parse(r.out).arrayValue ?? []
        #expect(lines.contains { $0["message"]?.stringValue?.hasPrefix("hi ops") == true })
    }
}

@Suite("interrupted runs")
struct InterruptedRunTests {
    @Test("a run left running by a process that no longer exists is closed as interrupted by the next command")
    func deadProcess() async throws {
        let home = try TempHome()
        _ = await home.run(["db", "status"])
        let store = try await Store.open(url: home.databaseURL)
        // A pid far above Linux's pid_max belongs to no process.
        let dead = "\(ProcessInfo.processInfo.hostName):99999999"
        let alive = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        let orphan = try await store.createRun(
            flowName: "x", flowVersion: nil, document: [:], trigger: .cli, triggeredBy: nil, inputs: [:], status: .running, node: dead)
        let live = try await store.createRun(
            flowName: "x", flowVersion: nil, document: [:], trigger: .cli, triggeredBy: nil, inputs: [:], status: .running, node: alive)
        await store.close()

        var r = await home.run(["runs", "list"])
        #expect(r.err == "workflow: closed 1 run of a stopped process (\(dead)) as interrupted\n")
        r = await home.run(["runs", "list", "--json"])
        let runs = try JSONParser.parse(r.out).arrayValue ?? []
        let byID = Dictionary(uniqueKeysWithValues: runs.compactMap { run in run["run_id"]?.intValue.map { ($0, run) } })
        #expect(byID[Int(orphan.id)]?["status"] == "failed")
        #expect(byID[Int(orphan.id)]?["error"] == "interrupted: the process stopped")
        #expect(byID[Int(live.id)]?["status"] == "running")
    }
}

@Suite("import --replace")
struct ImportReplaceTests {
    @Test("importing the same document again keeps the version; a changed one adds a version")
    func replace() async throws {
        let home = try TempHome()
        let file = try home.file("hello.json", helloFlow)
        var r = await home.run(["flow", "import", file, "--name", "hello", "--replace"])
        #expect(r.out == "Imported 'hello' (version 1).\n")
        r = await home.run(["flow", "import", file, "--name", "hello", "--replace"])
        #expect(r.out == "'hello' is unchanged (version 1).\n")
        let changed = try home.file("changed.json", helloFlow.replacingOccurrences(of: "\"ops\"", with: "\"devs\""))
        r = await home.run(["flow", "import", changed, "--name", "hello", "--replace"])
        #expect(r.out == "Imported 'hello' (version 2).\n")
    }
}

@Suite("settings commands")
struct SettingsCommandTests {
    @Test("set, get, list and unset a system setting; bad values are refused with the setting named")
    func lifecycle() async throws {
        let home = try TempHome()
        var r = await home.run(["settings", "get", "timezone", "--json"])
        #expect(try JSONParser.parse(r.out) == ["key": "timezone", "value": "UTC", "source": "configuration"])

        r = await home.run(["settings", "set", "timezone", "Asia/Kolkata"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == "timezone: \"UTC\" -> \"Asia/Kolkata\"\n")
        r = await home.run(["settings", "get", "timezone"])
        #expect(r.out == "Asia/Kolkata\n")

        r = await home.run(["settings", "set", "log.retention_days", "many"])
        #expect(r.code == WorkFlowCommand.invalidExitCode)
        #expect(r.err.contains("setting 'log.retention_days': 'many' is not a whole number"))
        r = await home.run(["settings", "set", "colour", "blue"])
        #expect(r.code == WorkFlowCommand.invalidExitCode)
        #expect(r.err.contains("colour"))

        r = await home.run(["settings", "list", "--json"])
        #expect(
            try JSONParser.parse(r.out) == [
                ["key": "timezone", "value": "Asia/Kolkata", "source": "stored"],
                ["key": "log.retention_days", "value": 30, "source": "configuration"],
            ])

        r = await home.run(["settings", "unset", "timezone"])
        #expect(r.out == "timezone: removed; the configuration's \"UTC\" applies\n")
        r = await home.run(["settings", "get", "timezone", "--json"])
        #expect(try JSONParser.parse(r.out)["source"] == "configuration")
    }

    @Test("tables show times in the stored time zone")
    func displayTimeZone() async throws {
        let home = try TempHome()
        let file = try home.file("hello.json", helloFlow)
        _ = await home.run(["run", "--file", file])
        var r = await home.run(["runs", "list", "--json"])
        let started = try #require(JSONParser.parse(r.out).arrayValue?.first?["started_at"]?.stringValue)
        let instant = try Date(started, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))

        _ = await home.run(["settings", "set", "timezone", "Asia/Kolkata"])
        r = await home.run(["runs", "list"])
        let kolkata = try #require(TimeZone(identifier: "Asia/Kolkata"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = kolkata
        let parts = calendar.dateComponents([.hour, .minute, .second], from: instant)
        let expected = String(format: "%02d:%02d:%02d", parts.hour!, parts.minute!, parts.second!)
        #expect(r.out.contains(expected), "\(r.out) should show \(expected)")
    }
}

@Suite("users and API keys")
struct UserCommandTests {
    init() {
        // bcrypt at its lowest cost keeps these tests fast.
        setenv("WORKFLOW_PASSWORD_COST", "4", 1)
    }

    func run(_ home: TempHome, _ arguments: [String], input: [String] = []) async -> (code: Int32, out: String, err: String) {
        let lines = Mutex(input)
        return await CommandIO.$readLine.withValue({ lines.withLock { $0.isEmpty ? nil : $0.removeFirst() } }) {
            await home.run(arguments)
        }
    }

    @Test("create users from standard input, refuse short passwords and duplicates, list them")
    func users() async throws {
        let home = try TempHome()
        var r = await run(home, ["user", "create", "alice", "--admin", "--password-stdin"], input: ["a long passphrase"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out == "Created user 'alice' (administrator).\n")
        r = await run(home, ["user", "create", "bob", "--password-stdin"], input: ["short"])
        #expect(r.code == WorkFlowCommand.invalidExitCode)
        #expect(r.err.contains("the password must have at least 8 characters"))
        r = await run(home, ["user", "create", "alice", "--password-stdin"], input: ["another passphrase"])
        #expect(r.code == 1)
        #expect(r.err.contains("a user named 'alice' already exists"))
        r = await run(home, ["user", "create", "bad name", "--password-stdin"], input: ["another passphrase"])
        #expect(r.err.contains("invalid user name 'bad name'"))
        r = await run(home, ["user", "passwd", "alice", "--password-stdin"], input: ["a new passphrase"])
        #expect(r.out == "Changed the password of 'alice'.\n")
        r = await run(home, ["user", "passwd", "nobody", "--password-stdin"], input: ["a new passphrase"])
        #expect(r.err.contains("user 'nobody' does not exist"))
        r = await run(home, ["user", "list", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.map { $0["username"] } == ["alice"])
    }

    @Test("API keys: created with the key on the last line, listed without it, disabled, deleted")
    func apiKeys() async throws {
        let home = try TempHome()
        _ = await run(home, ["user", "create", "admin", "--admin", "--password-stdin"], input: ["a long passphrase"])
        var r = await run(home, ["apikey", "create", "deploy"])
        #expect(r.code == 0, "\(r.err)")
        let key = try #require(r.out.split(separator: "\n").last.map(String.init))
        #expect(key.hasPrefix("wfk_"))
        r = await run(home, ["apikey", "create", "deploy"])
        #expect(r.err.contains("an API key named 'deploy' already exists"))
        r = await run(home, ["apikey", "create", "x", "--user", "ghost"])
        #expect(r.err.contains("user 'ghost' does not exist"))
        r = await run(home, ["apikey", "list"])
        #expect(r.out.contains("deploy") && !r.out.contains(key))
        r = await run(home, ["apikey", "disable", "deploy"])
        #expect(r.out == "API key 'deploy' is disabled.\n")
        r = await run(home, ["apikey", "list", "--json"])
        #expect(try JSONParser.parse(r.out)[0]?["enabled"] == false)
        r = await run(home, ["apikey", "delete", "deploy"])
        #expect(r.out == "Deleted API key 'deploy'.\n")
        r = await run(home, ["apikey", "delete", "deploy"])
        #expect(r.code == 1)
        #expect(r.err.contains("API key 'deploy' does not exist"))
    }
}
