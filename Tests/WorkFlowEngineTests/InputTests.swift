import Testing
import WorkFlowEngine

/// A workflow declaring one input of `type` (and optionally more JSON members for it).
private func workflow(type: String, extra: String = "") throws -> Workflow {
    try Workflow(json: #"{"inputs": {"x": {"type": "\#(type)"\#(extra)}}, "procedures": []}"#)
}

private func inputError(_ workflow: Workflow, _ inputs: JSONObject) -> String? {
    do {
        let variables = try workflow.runVariables(inputs: inputs)
        Issue.record("expected an input error, got \(variables)")
        return nil
    } catch {
        return error.message
    }
}

@Suite("Run inputs")
struct InputTests {
    @Test("declarations are read with their type, default, description and required flag, in order")
    func declarations() throws {
        let workflow = try Workflow(
            json: """
                {"inputs": {
                  "env": {"type": "string", "description": "target", "required": true},
                  "count": {"type": "integer", "default": "5"},
                  "any": {}
                }, "procedures": []}
                """)
        #expect(
            workflow.inputs == [
                InputDeclaration(name: "env", type: .string, description: "target", required: true),
                InputDeclaration(name: "count", type: .integer, defaultValue: 5),
                InputDeclaration(name: "any", type: .string),
            ])
    }

    @Test(
        "text given for a typed input is converted to the declared type",
        arguments: [
            ("integer", "3", 3),
            ("integer", " 42 ", 42),
            ("integer", "-7", -7),
            ("number", "3", .int(3)),
            ("number", "2.5", 2.5),
            ("boolean", "true", true),
            ("boolean", "TRUE", true),
            ("boolean", "yes", true),
            ("boolean", "on", true),
            ("boolean", "1", true),
            ("boolean", "false", false),
            ("boolean", "No", false),
            ("boolean", "off", false),
            ("boolean", "0", false),
            ("array", "[1, \"a\"]", [1, "a"]),
            ("object", #"{"b": 2, "a": 1}"#, ["b": 2, "a": 1]),
            ("string", "42", "42"),
            ("any", "[1]", "[1]"),
        ] as [(String, String, JSONValue)])
    func coercesText(type: String, text: String, expected: JSONValue) throws {
        let variables = try workflow(type: type).runVariables(inputs: ["x": .string(text)])
        #expect(variables["x"] == expected)
    }

    @Test(
        "values that already have the type are kept (a whole double counts as an integer)",
        arguments: [
            ("integer", 3.0, .int(3)),
            ("integer", 3, 3),
            ("number", 1.5, 1.5),
            ("boolean", false, false),
            ("array", [1], [1]),
            ("object", ["k": nil], ["k": nil]),
            ("any", ["k": 1], ["k": 1]),
        ] as [(String, JSONValue, JSONValue)])
    func keepsTypedValues(type: String, value: JSONValue, expected: JSONValue) throws {
        let variables = try workflow(type: type).runVariables(inputs: ["x": value])
        #expect(variables["x"] == expected)
    }

    @Test(
        "a value that cannot have the declared type is an input error",
        arguments: [
            ("integer", "ten", #"input 'x': expected an integer, got string "ten""#),
            ("integer", "2.5", #"input 'x': expected an integer, got string "2.5""#),
            ("integer", 2.5, "input 'x': expected an integer, got number 2.5"),
            ("number", "inf", #"input 'x': expected a number, got string "inf""#),
            ("number", true, "input 'x': expected a number, got boolean true"),
            ("boolean", "maybe", #"input 'x': expected a boolean, got string "maybe""#),
            ("boolean", 2, "input 'x': expected a boolean, got number 2"),
            ("array", "[1,", #"input 'x': expected an array, got string "[1,""#),
            ("array", #"{"a": 1}"#, #"input 'x': expected an array, got string "{"a": 1}""#),
            ("object", "[1]", #"input 'x': expected an object, got string "[1]""#),
            ("string", 5, "input 'x': expected a string, got number 5"),
        ] as [(String, JSONValue, String)])
    func rejectsBadValues(type: String, value: JSONValue, message: String) throws {
        #expect(inputError(try workflow(type: type), ["x": value]) == message)
    }

    @Test("a default is used when the input is not given, and given values win over it")
    func defaults() throws {
        let workflow = try workflow(type: "integer", extra: #", "default": 10"#)
        #expect(try workflow.runVariables(inputs: [:]) == ["x": 10])
        #expect(try workflow.runVariables(inputs: ["x": "11"]) == ["x": 11])
    }

    @Test("a required input without a default must be given; the message carries its description")
    func required() throws {
        let described = try workflow(type: "string", extra: #", "required": true, "description": "the target environment""#)
        #expect(inputError(described, [:]) == "input 'x' is required (the target environment)")
        #expect(try described.runVariables(inputs: ["x": "prod"]) == ["x": "prod"])
        let bare = try workflow(type: "string", extra: #", "required": true"#)
        #expect(inputError(bare, [:]) == "input 'x' is required")
        let withDefault = try workflow(type: "string", extra: #", "required": true, "default": "dev""#)
        #expect(try withDefault.runVariables(inputs: [:]) == ["x": "dev"])
        let optional = try workflow(type: "string")
        #expect(try optional.runVariables(inputs: [:]) == [:])
    }

    @Test("every input problem is reported in one error")
    func allProblems() throws {
        let workflow = try Workflow(
            json: """
                {"inputs": {"a": {"type": "integer"}, "b": {"required": true}, "c": {"type": "boolean"}}, "procedures": []}
                """)
        #expect(
            inputError(workflow, ["a": "x", "c": "y"])
                == #"input 'a': expected an integer, got string "x"; input 'b' is required; input 'c': expected a boolean, got string "y""#)
    }

    @Test("run variables are the workflow's variables, then input defaults, then given inputs (declared or not)")
    func merging() throws {
        let workflow = try Workflow(
            json: """
                {"variables": {"env": "dev", "region": "eu", "size": 1},
                 "inputs": {"env": {"type": "string"}, "size": {"type": "integer", "default": 2}},
                 "procedures": []}
                """)
        let variables = try workflow.runVariables(inputs: ["env": "prod", "extra": [1]])
        #expect(variables == ["env": "prod", "region": "eu", "size": 2, "extra": [1]])
    }

    @Test("a run with a bad input throws before anything is recorded")
    func executorRejectsBadInputs() async throws {
        let workflow = try validWorkflow(
            #"{"inputs": {"n": {"type": "integer"}}, "procedures": [{"name": "a", "mod": "test.Probe", "method": "echo"}]}"#)
        let observations = ProbeObservations()
        let recorder = InMemoryRecorder()
        let executor = Executor(registry: ModuleRegistry([ProbeModule(observations: observations)]), clock: ManualClock())
        let error = await #expect(throws: InputError.self) {
            try await executor.run(workflow, options: RunOptions(inputs: ["n": "many"]), recorder: recorder)
        }
        #expect(error?.message == #"input 'n': expected an integer, got string "many""#)
        #expect(await recorder.events.isEmpty)
        #expect(observations.calls.isEmpty)
    }
}
