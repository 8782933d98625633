import Foundation
import Testing
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

#if canImport(Glibc)
import Glibc
#endif

/// Custom Python modules end to end: stored through the module library (introspected in a
/// separate process), run by a python3 child per run, against the seed's module interface.
@Suite("custom Python modules")
struct CustomModuleTests {
    /// A seed-style module: `example` echoes its params like the seed's `test.Test.example`;
    /// `count` keeps a counter in the run's context across steps; the others misbehave on purpose.
    static let seedModule = #"""
        """Test module."""
        import os
        import sys
        import time


        class Test(object):
            """Procedures for testing the engine."""

            def __init__(self, logger):
                self.logger = logger

            def example(self, context, cfgs):
                """Echo the parameters.

                Args:
                    param1 (str): The value to echo
                    param2 (int): Optional number (default: 0)

                Returns:
                    dict: status and the echoed value
                """
                self.logger.info("example got %s", cfgs["param1"])
                return {"status": True, "data": cfgs["param1"], "param2": cfgs.get("param2", 0), "seen": sorted(k for k in context if not k.startswith("__"))}

            def count(self, context, cfgs):
                """Count the calls in this run."""
                context["__counter__"] = context.get("__counter__", 0) + 1
                return {"status": True, "n": context["__counter__"], "pid": os.getpid()}

            def boom(self, context, cfgs):
                """Raise."""
                raise ValueError("bad value: %s" % cfgs.get("why"))

            def hang(self, context, cfgs):
                """Sleep far past any timeout."""
                with open(cfgs["pidfile"], "w") as f:
                    f.write(str(os.getpid()))
                time.sleep(300)
                return {"status": True}

            def chatty(self, context, cfgs):
                """Print to stdout, from Python and from a child process."""
                print("printed by the module")
                sys.stdout.write("{\"type\": \"result\", \"id\": 1, \"result\": \"fake\"}\n")
                os.system("echo from a shell; echo to stderr >&2")
                return {"status": True, "obj": object(), "when": 1.5}

            def crash(self, context, cfgs):
                """Die in the middle of a call."""
                sys.stderr.write("about to die\n")
                sys.stderr.flush()
                os._exit(3)

            def refuse(self, context, cfgs):
                """Return status false, as the seed's modules do on errors."""
                return {"status": False, "error": "the thing was refused"}

        """#

    static func makeHarness() async throws -> ServerHarness {
        let harness = try await ServerHarness.make()
        _ = try await harness.server.modules.save(category: "test", name: "Test", source: seedModule, author: "admin", comment: "first")
        return harness
    }

    /// Runs `procedures` as workflow `name` through the seed's synchronous route.
    static func run(_ procedures: JSONValue, named name: String = "mixed", variables: JSONValue = [:], _ client: Client) async throws -> Answer {
        let create = try await client.send(.post, "/api/v1/flows", body: JSONWriter.string(from: ["name": .string(name), "document": ["procedures": procedures, "variables": variables]]))
        #expect(create.status == .created, "\(create.text)")
        return try await client.send(.post, "/flow/\(name)/run")
    }

    @Test("a workflow mixing built-in and custom steps passes results both ways; the counter lives across steps of one run")
    func mixedWorkflow() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            let answer = try await Self.run(
                [
                    ["name": "hello", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hi"]],
                    ["name": "echo", "mod": "test.Test", "method": "example", "params": ["param1": "@hello.msg", "param2": "${var.n}"]],
                    ["name": "first", "mod": "test.Test", "method": "count"],
                    ["name": "second", "mod": "test.Test", "method": "count"],
                    ["name": "back", "mod": "common.Kt", "method": "prt1", "params": ["msg": "@second.n"]],
                ], variables: ["n": 7], client)
            #expect(answer.status == .ok, "\(answer.text)")
            let data = answer.json["data"]
            #expect(answer.json["status"] == true)
            #expect(data?["echo"]?["data"] == "ret from hi")
            #expect(data?["echo"]?["param2"] == "7")
            #expect(data?["echo"]?["seen"] == ["hello", "var"], "context holds earlier results and var")
            #expect(data?["first"]?["n"] == 1)
            #expect(data?["second"]?["n"] == 2)
            #expect(data?["first"]?["pid"] == data?["second"]?["pid"], "one child for the run")
            #expect(data?["back"]?["msg"] == "ret from 2")

            // The child ended with the run.
            let pid = try #require(data?["second"]?["pid"]?.intValue)
            #expect(kill(pid_t(pid), 0) == -1 && errno == ESRCH)

            // A second run gets a fresh child and a fresh counter.
            let again = try await client.send(.post, "/flow/mixed/run")
            #expect(again.json["data"]?["first"]?["n"] == 1)
            #expect(again.json["data"]?["first"]?["pid"] != data?["first"]?["pid"])

            // The logger's lines are the step's log lines.
            let runID = try #require(answer.json["run_id"]?.intValue)
            let steps = try await harness.store.steps(runID: Int64(runID))
            #expect(steps.first { $0.name == "echo" }?.logs.contains { $0.message == "example got ret from hi" } == true)
        }
    }

    @Test("an exception fails the step with the Python traceback; status false fails it with the module's reason")
    func failures() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            let answer = try await Self.run([["name": "b", "mod": "test.Test", "method": "boom", "params": ["why": "no"]]], named: "boom", client)
            #expect(answer.json["status"] == false)
            let runID = try #require(answer.json["run_id"]?.intValue)
            let step = try #require(try await harness.store.steps(runID: Int64(runID)).first)
            #expect(step.status == .failed)
            let error = step.error ?? ""
            #expect(error.hasPrefix("ValueError: bad value: no"))
            #expect(error.contains("Traceback (most recent call last)"))
            #expect(error.contains("in boom"))
            #expect(!error.contains("workflow_module_host.py"), "the host's own frames are left out")

            let refused = try await Self.run([["name": "r", "mod": "test.Test", "method": "refuse"]], named: "refuse", client)
            let refusedID = try #require(refused.json["run_id"]?.intValue)
            let refusedStep = try #require(try await harness.store.steps(runID: Int64(refusedID)).first)
            #expect(refusedStep.status == .failed)
            #expect(refusedStep.error == "the thing was refused")
            #expect(refusedStep.result?["status"] == false)
        }
    }

    @Test("a child that dies in a call fails the step with its exit status and last words; the next step gets a new child")
    func crash() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            let answer = try await Self.run(
                [
                    ["name": "dies", "mod": "test.Test", "method": "crash", "on_error": "continue"],
                    ["name": "after", "mod": "test.Test", "method": "count"],
                ], named: "crash", client)
            let runID = try #require(answer.json["run_id"]?.intValue)
            let steps = try await harness.store.steps(runID: Int64(runID))
            let dies = try #require(steps.first { $0.name == "dies" })
            #expect(dies.status == .failed)
            #expect(dies.error?.contains("exited with code 3") == true, "\(dies.error ?? "")")
            #expect(dies.logs.contains { $0.message == "about to die" } || dies.error?.contains("about to die") == true)
            #expect(steps.first { $0.name == "after" }?.result?["n"] == 1)
        }
    }

    /// Modules that misuse the process's standard streams.
    static let roughModule = #"""
        import os, subprocess, sys


        class Rough(object):
            def __init__(self, logger):
                self.logger = logger

            def readin(self, context, cfgs):
                """Read stdin, directly and through a child process."""
                subprocess.run(["sh", "-c", "read x; echo child read: $x"])
                return {"status": True, "got": sys.stdin.readline()}

            def closeout(self, context, cfgs):
                """Close stdout."""
                print("before close")
                sys.stdout.flush()
                os.close(1)
                return {"status": True}

            def progress(self, context, cfgs):
                """Leave a partial line on stderr, as progress bars do."""
                sys.stderr.write("progress 50%\r")
                return {"status": True}

            def huge(self, context, cfgs):
                """Print a line far longer than a log line."""
                print("x" * 300000)
                self.logger.info("y" * 300000)
                return {"status": True, "after": "fine"}

            def block(self, context, cfgs):
                """Tell the test who we are, then wait on its FIFO."""
                with open(cfgs["pidfile"], "w") as f:
                    f.write(str(os.getpid()))
                with open(cfgs["fifo"]) as f:
                    f.read()
                return {"status": True}

            def again(self, context, cfgs):
                """Print after another step closed stdout."""
                print("still printing")
                return {"status": True, "n": context.get("__n__", 0)}

        """#

    @Test("a module that reads stdin, closes its stdout, leaves partial stderr lines or prints huge lines does not break the run")
    func roughStreams() async throws {
        let harness = try await Self.makeHarness()
        _ = try await harness.server.modules.save(category: "test", name: "Rough", source: Self.roughModule, author: "admin", comment: nil)
        try await harness.test { client in
            let answer = try await Self.run(
                [
                    ["name": "count", "mod": "test.Test", "method": "count"],
                    ["name": "readin", "mod": "test.Rough", "method": "readin"],
                    ["name": "closeout", "mod": "test.Rough", "method": "closeout"],
                    ["name": "progress", "mod": "test.Rough", "method": "progress"],
                    ["name": "huge", "mod": "test.Rough", "method": "huge"],
                    ["name": "again", "mod": "test.Rough", "method": "again"],
                    ["name": "count2", "mod": "test.Test", "method": "count"],
                ], named: "rough", client)
            #expect(answer.json["status"] == true, "\(answer.text)")
            let data = answer.json["data"]
            #expect(data?["readin"]?["got"] == "", "stdin is empty for modules; requests stay the host's")
            #expect(data?["huge"]?["after"] == "fine")
            #expect(data?["count2"]?["n"] == 2, "the same child served the whole run")
            let runID = try #require(answer.json["run_id"]?.intValue)
            let steps = try await harness.store.steps(runID: Int64(runID))
            let logs = { (name: String) in steps.first { $0.name == name }?.logs.map(\.message) ?? [] }
            #expect(logs("closeout").contains("before close"))
            #expect(logs("again").contains("still printing"), "stdout comes back for the next step")
            #expect(logs("progress").contains("progress 50%"))
            #expect(logs("huge").allSatisfy { $0.utf8.count < 70_000 }, "long lines are cut or split")
            #expect(logs("huge").contains { $0.hasPrefix("yyyy") })
        }
    }

    @Test("cancelling a run kills its child in the middle of a call")
    func cancelKillsChild() async throws {
        let harness = try await Self.makeHarness()
        _ = try await harness.server.modules.save(category: "test", name: "Rough", source: Self.roughModule, author: "admin", comment: nil)
        let fifo = harness.directory.appendingPathComponent("hold.fifo").path
        let pidFile = harness.directory.appendingPathComponent("hold.pid").path
        #expect(mkfifo(fifo, 0o600) == 0)
        try await harness.test { client in
            let create = try await client.send(
                .post, "/api/v1/flows",
                body: JSONWriter.string(from: [
                    "name": "hold",
                    "document": ["procedures": [["name": "b", "mod": "test.Rough", "method": "block", "params": ["pidfile": .string(pidFile), "fifo": .string(fifo)]]]],
                ]))
            #expect(create.status == .created)
            let started = try await client.send(.post, "/api/v1/flows/hold/runs")
            let runID = try #require(started.json["run_id"]?.intValue)
            // Opening the FIFO for writing returns once the module has opened it for reading: the
            // call is then surely in progress. (Should the module never get there, opening it for
            // reading ourselves after a while unblocks the test, which then fails.)
            let writer = await withTaskGroup(of: Int32?.self) { group in
                group.addTask { await Task.detached { open(fifo, O_WRONLY) }.value }
                group.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    let reader = open(fifo, O_RDONLY | O_NONBLOCK)
                    if reader >= 0 { close(reader) }
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            let fd = try #require(writer, "the module never opened the FIFO")
            defer { close(fd) }
            let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)))
            #expect(kill(pid, 0) == 0, "the child is alive in its call")

            let cancelled = try await client.send(.post, "/api/v1/runs/\(runID)/cancel")
            #expect(cancelled.json["status"] == "cancelled", "\(cancelled.text)")
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "the child is gone")
        }
    }

    @Test("a step past its timeout kills the child; a later step of the same run starts a new one")
    func timeout() async throws {
        let harness = try await Self.makeHarness()
        let pidFile = harness.directory.appendingPathComponent("hang.pid").path
        try await harness.test { client in
            let answer = try await Self.run(
                [
                    ["name": "stuck", "mod": "test.Test", "method": "hang", "params": ["pidfile": .string(pidFile)], "timeout": 4, "on_error": "continue"],
                    ["name": "after", "mod": "test.Test", "method": "count"],
                ], named: "hang", client)
            let runID = try #require(answer.json["run_id"]?.intValue)
            let steps = try await harness.store.steps(runID: Int64(runID))
            let stuck = try #require(steps.first { $0.name == "stuck" })
            #expect(stuck.status == .failed)
            #expect(stuck.error?.contains("timed out") == true || stuck.error?.contains("timeout") == true, "\(stuck.error ?? "")")
            let hung = try #require(Int32((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""), "no pid written; the step said: \(stuck.error ?? "")")
            #expect(kill(hung, 0) == -1 && errno == ESRCH, "the hanging child is gone")
            let after = try #require(steps.first { $0.name == "after" })
            #expect(after.status == .success)
            #expect(after.result?["n"] == 1, "a new child: the old one's context is gone")
            #expect(after.logs.contains { $0.message.contains("starting a new module process") })
        }
    }

    @Test("printing to stdout (from Python or a child process) does not break the protocol; non-JSON values become text")
    func printing() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            let answer = try await Self.run([["name": "c", "mod": "test.Test", "method": "chatty"]], named: "chatty", client)
            #expect(answer.json["status"] == true, "\(answer.text)")
            let result = answer.json["data"]?["c"]
            #expect(result?["status"] == true)
            #expect(result?["obj"]?.stringValue?.hasPrefix("<object object at") == true)
            #expect(result?["when"] == 1.5)
            let runID = try #require(answer.json["run_id"]?.intValue)
            let logs = try #require(try await harness.store.steps(runID: Int64(runID)).first).logs.map(\.message)
            #expect(logs.contains("printed by the module"))
            #expect(logs.contains("from a shell"))
            let step = try #require(try await harness.store.steps(runID: Int64(runID)).first)
            #expect(step.logs.contains { $0.message == "to stderr" && $0.level == .warning }, "stderr lines are warnings of the step")
            #expect(logs.contains { $0.contains("\"result\": \"fake\"") }, "a printed protocol look-alike is only a log line")
        }
    }

    @Test("a syntax error is refused at save time with line and column, and nothing is stored")
    func syntaxError() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let broken = "class Bad(object):\n    def run(self, context, cfgs:\n        return {}\n"
            let answer = try await client.send(
                .post, "/api/v1/modules", body: JSONWriter.string(from: ["category": "test", "name": "Bad", "source": .string(broken)]))
            #expect(answer.status == .badRequest)
            #expect(answer.json["error"]?["code"] == "module_syntax")
            #expect(answer.json["error"]?["details"]?["problem"]?["line"] == 2)
            #expect(answer.json["error"]?["details"]?["problem"]?["column"]?.intValue != nil)
            #expect(answer.json["error"]?["message"]?.stringValue?.contains("line 2") == true)
            #expect(try await harness.store.module(category: "test", name: "Bad") == nil)
        }
    }

    @Test("introspection reads the seed's docstrings into descriptors the editor and validation use")
    func introspection() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            let module = try await client.send(.get, "/api/v1/modules/test.Test").json
            #expect(module["kind"] == "python")
            #expect(module["version"] == 1)
            #expect(module["doc"] == "Procedures for testing the engine.")
            let methods = module["methods"]?.arrayValue ?? []
            #expect(methods.compactMap { $0["name"]?.stringValue } == ["example", "count", "boom", "hang", "chatty", "crash", "refuse"], "in source order")
            let params = methods.first?["params"]?.arrayValue ?? []
            #expect(params.map { $0["name"] } == ["param1", "param2"])
            #expect(params.first?["type"] == "string")
            #expect(params.first?["required"] == true)
            #expect(params.last?["required"] == false)
            #expect(params.last?["default"] == 0)

            // The seed's registry path has the seed's shape.
            let seed = try await client.send(.get, "/modules/api/registry/").json
            let example = seed["test"]?["modules"]?["Test"]?["methods"]?["example"]
            #expect(seed["test"]?["label"] == "Test")
            #expect(seed["test"]?["modules"]?["Test"]?["mod"] == "mod.test.Test")
            #expect(example?["label"] == "Echo the parameters.")
            #expect(example?["params"]?["param2"]?["default"] == 0)
            #expect(seed["common"]?["modules"]?["Kt"]?["icon"] == "bi-chat-dots")
            #expect(try await client.send(.get, "/modules/api/introspect/test/Nope/").status == .notFound)

            // Validation: a missing required parameter is caught before the run; types are advice only.
            let invalid = try await client.send(
                .post, "/api/v1/flows/validate",
                body: JSONWriter.string(from: ["document": ["procedures": [["name": "e", "mod": "test.Test", "method": "example", "params": ["param2": "x"]]]]]))
            #expect(invalid.json["issues"]?[0]?["path"] == "procedures[0].params.param1")
            #expect(invalid.json["issues"]?.arrayValue?.count == 1)
        }
    }

    @Test("versions, diff, restore; delete is refused while a workflow uses the module")
    func versionsAndDelete() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            let changed = Self.seedModule.replacingOccurrences(of: "\"data\": cfgs[\"param1\"]", with: "\"data\": cfgs[\"param1\"].upper()")
            let saved = try await client.send(.put, "/api/v1/modules/test.Test", body: JSONWriter.string(from: ["source": .string(changed), "comment": "shout"]))
            #expect(saved.json["change"] == "updated")
            #expect(saved.json["version"] == 2)
            let same = try await client.send(.put, "/api/v1/modules/test.Test", body: JSONWriter.string(from: ["source": .string(changed)]))
            #expect(same.json["change"] == "unchanged")
            let versions = try await client.send(.get, "/api/v1/modules/test.Test/versions").json["items"]?.arrayValue ?? []
            #expect(versions.map { $0["number"] } == [2, 1])
            #expect(versions.first?["comment"] == "shout")
            let diff = try await client.send(.get, "/api/v1/modules/test.Test/diff?from=1&to=2").json["diff"]?.stringValue ?? ""
            #expect(diff.contains("+") && diff.contains(".upper()"))

            let run = try await Self.run([["name": "e", "mod": "test.Test", "method": "example", "params": ["param1": "abc"]]], named: "upper", client)
            #expect(run.json["data"]?["e"]?["data"] == "ABC", "the run used the new version")

            let restored = try await client.send(.post, "/api/v1/modules/test.Test/versions/1/restore")
            #expect(restored.json["version"] == 3)
            let again = try await client.send(.post, "/flow/upper/run")
            #expect(again.json["data"]?["e"]?["data"] == "abc")

            let refused = try await client.send(.delete, "/api/v1/modules/test.Test")
            #expect(refused.status == .conflict)
            #expect(refused.json["error"]?["details"]?["workflows"] == ["upper"])
            #expect(try await client.send(.delete, "/api/v1/modules/common.Kt").status == .forbidden)
            #expect(try await client.send(.delete, "/flow/upper").status == .ok)
            #expect(try await client.send(.delete, "/api/v1/modules/test.Test").status == .noContent)
            #expect(try await client.send(.get, "/api/v1/modules/test.Test").status == .notFound)
        }
    }

    @Test("categories: create, rename (refused for core and while used), delete only when empty")
    func categories() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            #expect(try await client.send(.post, "/api/v1/module-categories", body: #"{"name": "ops"}"#).status == .created)
            #expect(try await client.send(.post, "/api/v1/module-categories", body: #"{"name": "ops"}"#).status == .conflict)
            let bad = try await client.send(.post, "/api/v1/module-categories", body: #"{"name": "Ops"}"#)
            #expect(bad.status == .badRequest)
            #expect(bad.json["error"]?["message"]?.stringValue?.contains("lowercase letter") == true)
            #expect(try await client.send(.patch, "/api/v1/module-categories/common", body: #"{"new_name": "misc"}"#).status == .forbidden)
            #expect(try await client.send(.delete, "/api/v1/module-categories/test").status == .conflict, "not empty")
            #expect(try await client.send(.patch, "/api/v1/module-categories/test", body: #"{"new_name": "checks"}"#).status == .ok)
            let listed = try await client.send(.get, "/api/v1/module-categories").json["items"]?.arrayValue ?? []
            #expect(listed.contains { $0["name"] == "checks" && $0["modules"] == ["Test"] })
            #expect(listed.contains { $0["name"] == "common" && $0["core"] == true })
            #expect(try await client.send(.get, "/api/v1/modules/checks.Test").status == .ok)
            #expect(try await client.send(.delete, "/api/v1/module-categories/ops").status == .noContent)

            _ = try await Self.run([["name": "e", "mod": "checks.Test", "method": "count"]], named: "uses", client)
            let refused = try await client.send(.patch, "/api/v1/module-categories/checks", body: #"{"new_name": "other"}"#)
            #expect(refused.status == .conflict)
            #expect(refused.json["error"]?["details"]?["workflows"] == ["uses"])
        }
    }

    @Test("a module saved or changed on another node is loaded before a run here needs it")
    func otherNode() async throws {
        let harness = try await ServerHarness.make()
        // Another node: its own library (and cache folder) over the same database.
        let other = ModuleLibrary(
            store: harness.store, builtins: BuiltinModules.registry(), folder: harness.directory.appendingPathComponent("other-node/modules"),
            logger: ServerHarness.quiet)
        _ = try await other.save(category: "test", name: "Test", source: Self.seedModule, author: "admin", comment: nil)
        #expect(harness.server.modules.registry().module(named: "test.Test") == nil, "this node has not looked yet")
        try await harness.test { client in
            let first = try await Self.run([["name": "e", "mod": "test.Test", "method": "example", "params": ["param1": "abc"]]], named: "remote", client)
            #expect(first.json["data"]?["e"]?["data"] == "abc", "\(first.text)")

            let changed = Self.seedModule.replacingOccurrences(of: "\"data\": cfgs[\"param1\"]", with: "\"data\": cfgs[\"param1\"] * 2")
            _ = try await other.save(category: "test", name: "Test", source: changed, author: "admin", comment: nil)
            let second = try await client.send(.post, "/flow/remote/run")
            #expect(second.json["data"]?["e"]?["data"] == "abcabc", "the run used the version saved on the other node")
        }
    }

    @Test("parallel branches calling custom modules take turns in the run's one child")
    func parallelBranches() async throws {
        let harness = try await Self.makeHarness()
        try await harness.test { client in
            let answer = try await Self.run(
                [
                    ["name": "a", "mod": "test.Test", "method": "count", "depends_on": []],
                    ["name": "b", "mod": "test.Test", "method": "count", "depends_on": []],
                    ["name": "c", "mod": "test.Test", "method": "count", "depends_on": []],
                ], named: "parallel", client)
            let data = answer.json["data"]
            let counts = Set(["a", "b", "c"].compactMap { data?[$0]?["n"]?.intValue })
            #expect(counts == [1, 2, 3])
        }
    }
}

/// Executable modules: the shell example of docs/modules.md, exactly as documented.
@Suite("executable modules")
struct ExecutableModuleTests {
    /// The code block after `<!-- example: ops/Greet -->` in docs/modules.md.
    static func documentedExample() throws -> String {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/modules.md").standardized
        let text = try String(contentsOf: docs, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- example: ops/Greet -->"))
        let rest = text[marker.upperBound...]
        let open = try #require(rest.range(of: "```sh\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test("the documented shell module describes itself, runs with references both ways, logs, and fails an unknown method")
    func shellExample() async throws {
        let harness = try await ServerHarness.make()
        let folder = harness.directory.appendingPathComponent("modules/ops")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("Greet")
        try Data(try Self.documentedExample().utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        try await harness.server.modules.refresh()
        try await harness.test { client in
            let module = try await client.send(.get, "/api/v1/modules/ops.Greet").json
            #expect(module["kind"] == "executable")
            #expect(module["methods"]?[0]?["name"] == "hello")
            #expect(module["methods"]?[0]?["params"]?[0]?["required"] == true)

            let answer = try await CustomModuleTests.run(
                [
                    ["name": "who", "mod": "common.Kt", "method": "prt1", "params": ["msg": "@var.name"]],
                    ["name": "greet", "mod": "ops.Greet", "method": "hello", "params": ["who": "@who.msg"]],
                    ["name": "back", "mod": "common.Kt", "method": "prt1", "params": ["msg": "@greet.greeting"]],
                ], named: "greet", variables: ["name": "ops"], client)
            #expect(answer.json["status"] == true, "\(answer.text)")
            #expect(answer.json["data"]?["greet"]?["greeting"] == "hello ret from ops")
            #expect(answer.json["data"]?["back"]?["msg"] == "ret from hello ret from ops")
            let runID = try #require(answer.json["run_id"]?.intValue)
            let greet = try #require(try await harness.store.steps(runID: Int64(runID)).first { $0.name == "greet" })
            #expect(greet.logs.map(\.message).contains("greeting ret from ops"))

            // Validation knows its methods.
            let invalid = try await client.send(
                .post, "/api/v1/flows/validate",
                body: JSONWriter.string(from: ["document": ["procedures": [["name": "g", "mod": "ops.Greet", "method": "bye"]]]]))
            #expect(invalid.json["issues"]?[0]?["path"] == "procedures[0].method")
        }
    }
}
