import ArgumentParser
import Foundation
import Testing
import WorkFlowEngine
import WorkFlowModules

@testable import WorkFlowCLI

/// A module for CLI tests: `test.CLI.fail` returns a failure, `test.CLI.echo` returns its params.
struct CLITestModule: Module {
    let descriptor = ModuleDescriptor(
        name: "test.CLI", doc: "CLI test helper.",
        methods: [
            MethodDescriptor("echo", doc: "Returns its params.", parameters: [], result: "{status: true, ...params}"),
            MethodDescriptor("fail", doc: "Fails.", parameters: [], result: "{status: false}"),
        ])

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        switch method {
        case "echo":
            var result: JSONObject = ["status": true]
            for (k, v) in params { result[k] = v }
            return .success(.object(result))
        default:
            return .failure(["status": false], error: "asked to fail")
        }
    }
}

/// Writes a workflow to a temporary file and removes it afterwards.
final class TempWorkflow {
    let directory: URL
    let path: String

    init(_ text: String, name: String = "flow.json") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

func makeRegistry() -> ModuleRegistry {
    var registry = BuiltinModules.registry()
    registry.register(CLITestModule())
    return registry
}

func runCLI(_ text: String, inputs: JSONObject = [:], json: Bool = true) async throws -> (code: Int32, console: BufferConsole) {
    let file = try TempWorkflow(text)
    let console = BufferConsole()
    let runner = WorkflowRunner(console: console, registry: makeRegistry(), clock: ManualClock(autoAdvance: true))
    let code = await runner.run(file: file.path, inputs: inputs, json: json)
    return (code, console)
}

@Suite("workflow run")
struct RunCommandTests {
    @Test("a successful run prints one JSON document and exits 0")
    func successJSON() async throws {
        let (code, console) = try await runCLI(
            """
            {"procedures": [
              {"name": "a", "mod": "test.CLI", "method": "echo", "params": {"x": 1}},
              {"name": "b", "mod": "test.CLI", "method": "echo", "params": {"y": "@a.x"}}
            ]}
            """)
        #expect(code == 0)
        let report = try JSONParser.parse(console.output)
        #expect(report["status"] == "success")
        #expect(report["errors"] == [])
        #expect(report["duration_ms"]?.intValue != nil)
        let steps = try #require(report["steps"]?.arrayValue)
        #expect(steps.count == 2)
        #expect(steps[1]["result"] == ["status": true, "y": 1])
        #expect(steps[1]["name"] == "b")
        #expect(steps[1]["attempts"] == 1)
        #expect(steps[1]["error"] == .null)
        #expect(steps[0]["started_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(steps[0].objectValue.map { Array($0.keys) } == ["name", "status", "result", "error", "duration_ms", "attempts", "started_at", "ended_at"])
        #expect(console.errors.isEmpty)
    }

    @Test("a failed run exits 1 and reports the failing step")
    func failedRun() async throws {
        let (code, console) = try await runCLI(
            """
            {"procedures": [
              {"name": "a", "mod": "test.CLI", "method": "fail"},
              {"name": "b", "mod": "test.CLI", "method": "echo"}
            ]}
            """)
        #expect(code == 1)
        let report = try JSONParser.parse(console.output)
        #expect(report["status"] == "failed")
        #expect(report["error"] == "step 'a' failed: asked to fail")
        #expect(report["steps"]?.arrayValue?.map { $0["status"] } == ["failed", "skipped"])
    }

    @Test("an invalid document exits 2 and lists every problem with its path")
    func invalidDocument() async throws {
        let (code, console) = try await runCLI(
            """
            {"procedures": [
              {"name": "a", "mod": "test.Nope", "method": "echo"},
              {"name": "a", "mod": "test.CLI", "method": "nope"}
            ]}
            """)
        #expect(code == 2)
        let report = try JSONParser.parse(console.output)
        #expect(report["status"] == "invalid")
        #expect(report["steps"] == [])
        let paths = report["errors"]?.arrayValue?.compactMap { $0["path"]?.stringValue }
        #expect(paths == ["procedures[1].name", "procedures[0].mod", "procedures[1].method"])
    }

    @Test("text that is not JSON exits 2 with the line and column")
    func notJSON() async throws {
        let (code, console) = try await runCLI("{\"procedures\": [\n  {\"name\": }\n]}")
        #expect(code == 2)
        let report = try JSONParser.parse(console.output)
        #expect(report["errors"]?.arrayValue?.first?["path"] == "document")
        let message = report["errors"]?.arrayValue?.first?["message"]?.stringValue ?? ""
        #expect(message.contains("line 2, column 12"))
    }

    @Test("a missing file exits 2 and says so")
    func missingFile() async {
        let console = BufferConsole()
        let runner = WorkflowRunner(console: console, registry: makeRegistry())
        let code = await runner.run(file: "/nonexistent/flow.json", inputs: [:], json: false)
        #expect(code == 2)
        #expect(console.errors.contains("/nonexistent/flow.json: no such file"))
    }

    @Test("--var values are converted to the declared input type")
    func typedInputs() async throws {
        let (code, console) = try await runCLI(
            """
            {"inputs": {"count": {"type": "integer"}, "env": {"type": "string", "default": "dev"}},
             "procedures": [{"name": "a", "mod": "test.CLI", "method": "echo", "params": {"n": "@var.count", "env": "@var.env"}}]}
            """, inputs: ["count": "42"])
        #expect(code == 0)
        let report = try JSONParser.parse(console.output)
        #expect(report["steps"]?.arrayValue?.first?["result"] == ["status": true, "n": 42, "env": "dev"])
    }

    @Test("a --var that does not fit the input's type exits 2")
    func badInput() async throws {
        let (code, console) = try await runCLI(
            """
            {"inputs": {"count": {"type": "integer", "required": true}},
             "procedures": [{"name": "a", "mod": "test.CLI", "method": "echo"}]}
            """, inputs: ["count": "many"])
        #expect(code == 2)
        let report = try JSONParser.parse(console.output)
        #expect(report["errors"]?.arrayValue?.first?["message"] == "input 'count': expected an integer, got string \"many\"")
    }

    @Test("progress lines name each step and its status, without colours when not a terminal")
    func progressLines() async throws {
        let (code, console) = try await runCLI(
            """
            {"procedures": [
              {"name": "first", "mod": "test.CLI", "method": "echo"},
              {"name": "second", "mod": "test.CLI", "method": "fail"}
            ]}
            """, json: false)
        #expect(code == 1)
        let lines = console.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 7)
        #expect(lines[0] == "[..] first   running  test.CLI.echo")
        #expect(lines[1].hasPrefix("[ok] first   success    0 ms"))
        #expect(lines[2] == "[..] second  running  test.CLI.fail")
        #expect(lines[3].hasPrefix("[!!] second  failed"))
        #expect(lines[4] == "    asked to fail")
        #expect(lines[5] == "[!!] run failed in 0 ms (1 success, 1 failed)")
        #expect(lines[6] == "  step 'second' failed: asked to fail")
        #expect(!console.output.contains("\u{1B}["))
    }

    @Test("on a terminal the status is coloured")
    func colours() async throws {
        let file = try TempWorkflow(#"{"procedures": [{"name": "a", "mod": "test.CLI", "method": "echo"}]}"#)
        let console = BufferConsole(isTerminal: true)
        let code = await WorkflowRunner(console: console, registry: makeRegistry()).run(file: file.path, inputs: [:], json: false)
        #expect(code == 0)
        #expect(console.output.contains("\u{1B}[32m✔\u{1B}[0m"))
    }
}

@Suite("workflow validate and modules")
struct ValidateAndModulesTests {
    @Test("validate reports a valid file and exits 0")
    func valid() throws {
        let file = try TempWorkflow(#"{"procedures": [{"name": "a", "mod": "test.CLI", "method": "echo"}]}"#)
        let console = BufferConsole()
        #expect(ValidateCommand.check(file: file.path, json: false, registry: makeRegistry(), console: console) == 0)
        #expect(console.output == "\(file.path) is valid: 1 step\n")
    }

    @Test("validate --json lists the problems and exits 2")
    func invalidJSON() throws {
        let file = try TempWorkflow(#"{"procedures": [{"name": "a", "mod": "test.CLI", "method": "echo", "retry": {"count": -1}}]}"#)
        let console = BufferConsole()
        #expect(ValidateCommand.check(file: file.path, json: true, registry: makeRegistry(), console: console) == 2)
        let report = try JSONParser.parse(console.output)
        #expect(report["valid"] == false)
        #expect(report["errors"] == [["path": "procedures[0].retry.count", "message": "expected a whole number of 0 or more, got number -1"]])
    }

    @Test("modules lists every built-in module with its methods")
    func modulesText() {
        let console = BufferConsole()
        #expect(ModulesCommand.list(module: nil, json: false, registry: BuiltinModules.registry(), console: console) == 0)
        for name in BuiltinModules.registry().names {
            #expect(console.output.contains("\(name) — "))
        }
        #expect(console.output.contains("  parallel_steps: "))
    }

    @Test("modules --json describes parameters")
    func modulesJSON() throws {
        let console = BufferConsole()
        #expect(ModulesCommand.list(module: "common.MultiProcess", json: true, registry: BuiltinModules.registry(), console: console) == 0)
        let list = try JSONParser.parse(console.output)
        let steps = list.arrayValue?.first?["methods"]?.arrayValue?.first?["params"]?.arrayValue?.first
        #expect(steps == ["name": "steps", "type": "array", "required": true, "default": nil, "doc": #"Steps to run: [{"name", "mod", "method", "params"}]; names must be unique."#])
    }

    @Test("modules also lists the custom modules of the data folder (an executable one here)")
    func modulesCustom() async throws {
        let home = try TempHome()
        let folder = home.directory.appendingPathComponent("modules/ops")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let program = folder.appendingPathComponent("Probe")
        let source = """
            #!/usr/bin/env python3
            import json, sys
            for line in sys.stdin:
                request = json.loads(line)
                print(json.dumps({"type": "description", "id": request["id"], "module": {"description": "Probes things.",
                    "methods": [{"name": "check", "label": "Check a host.", "params": [{"name": "host", "type": "string", "required": True}]}]}}), flush=True)
            """
        try Data(source.utf8).write(to: program)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        let text = await home.run(["modules", "ops.Probe"])
        #expect(text.code == 0, "\(text.err)")
        #expect(text.out.hasPrefix("ops.Probe — Probes things.\n  check: Check a host.\n      host (string, required)"))
        let json = await home.run(["modules", "--json"])
        #expect(try JSONParser.parse(json.out).arrayValue?.compactMap { $0["name"]?.stringValue }.contains("ops.Probe") == true)
    }

    @Test("an unknown module name exits 2")
    func unknownModule() {
        let console = BufferConsole()
        #expect(ModulesCommand.list(module: "common.Nope", json: false, registry: BuiltinModules.registry(), console: console) == 2)
        #expect(console.errors.hasPrefix("unknown module 'common.Nope'"))
    }
}

@Suite("command line parsing")
struct ParsingTests {
    @Test("a missing --file is a usage error, which the workflow command turns into exit 2")
    func missingFile() {
        #expect(throws: (any Error).self) { try WorkFlowCommand.parseAsRoot(["run"]) }
        do {
            _ = try WorkFlowCommand.parseAsRoot(["run"])
        } catch {
            #expect(WorkFlowCommand.exitCode(for: error) == .validationFailure)
        }
    }

    @Test("--var without '=' is rejected")
    func badVar() {
        #expect(throws: (any Error).self) { try WorkFlowCommand.parseAsRoot(["run", "--file", "x.json", "--var", "novalue"]) }
    }

    @Test(
        "help texts match the golden files",
        arguments: ["workflow", "run", "validate", "modules", "flow", "flow-create", "flow-diff", "runs-list", "runs-show", "logs", "db-status", "backup", "restore",
            "import-seed", "schedule", "schedule-add",
        ])
    func help(command: String) throws {
        let text = WorkFlowCommand.helpMessage(for: Self.commandType(command), columns: 100)
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/help-\(command).txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: golden)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected)
    }

    static func commandType(_ name: String) -> any ParsableCommand.Type {
        switch name {
        case "workflow": WorkFlowCommand.self
        case "run": RunCommand.self
        case "validate": ValidateCommand.self
        case "flow": FlowCommand.self
        case "flow-create": FlowCreateCommand.self
        case "flow-diff": FlowDiffCommand.self
        case "runs-list": RunsListCommand.self
        case "runs-show": RunsShowCommand.self
        case "logs": LogsCommand.self
        case "db-status": DatabaseStatusCommand.self
        case "backup": BackupCommand.self
        case "restore": RestoreCommand.self
        case "import-seed": ImportSeedCommand.self
        case "schedule": ScheduleCommand.self
        case "schedule-add": ScheduleAddCommand.self
        default: ModulesCommand.self
        }
    }
}

@Suite("generated documentation")
struct DocumentationTests {
    @Test("docs/modules.md is the output of workflow modules --markdown")
    func modulesReference() throws {
        let generated = ModulesCommand.markdown(BuiltinModules.registry().descriptors)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/modules.md").standardized
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(generated.utf8).write(to: file)
        }
        let committed = try String(contentsOf: file, encoding: .utf8)
        #expect(committed == generated, "regenerate with: UPDATE_GOLDEN=1 swift test --filter DocumentationTests")
    }
}
