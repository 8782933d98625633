import Testing
import WorkFlowEngine

private let registry = ModuleRegistry([ProbeModule(), OtherModule()])

/// The problems `validate` reports for a document, as `path: message` lines.
private func problems(_ json: String) throws -> [String] {
    try Workflow(json: json).validate(registry: registry).map(\.description)
}

private func problems(document: JSONValue) -> [String] {
    Workflow(document: document).validate(registry: registry).map(\.description)
}

/// A one-step document whose step has `extra` members (written as JSON object members).
private func oneStep(_ extra: String, method: String = "echo") -> String {
    #"{"procedures": [{"name": "a", "mod": "test.Probe", "method": "\#(method)", \#(extra)}]}"#
}

@Suite("Workflow validation")
struct ValidationTests {
    @Test("a seed workflow reads and validates without problems")
    func seedWorkflow() throws {
        let workflow = try Workflow(
            json: """
                {
                  "procedures": [
                    {"name": "step1", "mod": "test.Probe", "method": "kt", "params": {"msg": "hello"}},
                    {"name": "step2", "mod": "test.Probe", "method": "kt", "params": {"msg": "@step1.msg"}}
                  ],
                  "variables": {"env": "production"}
                }
                """)
        #expect(workflow.validate(registry: registry) == [])
        #expect(workflow.procedures.map(\.name) == ["step1", "step2"])
        #expect(workflow.procedures[1].params == ["msg": "@step1.msg"])
        #expect(workflow.procedures.map(\.dependsOn) == [nil, nil])
        #expect(workflow.variables == ["env": "production"])
        #expect(workflow.dependencyIndices() == [[], [0]])
    }

    @Test("editor layout and unknown top-level keys are kept untouched in document")
    func keepsDocument() throws {
        let workflow = try Workflow(
            json: """
                {"procedures": [], "_connections": [{"from": "a", "to": "b"}], "_positions": {"a": {"x": 10, "y": 20}}, "zz": 1}
                """)
        #expect(workflow.document["_connections"] == [["from": "a", "to": "b"]])
        #expect(workflow.document["_positions"] == ["a": ["x": 10, "y": 20]])
        #expect(workflow.document.keys.elementsEqual(["procedures", "_connections", "_positions", "zz"]))
        #expect(workflow.validate(registry: registry) == [])
    }

    @Test("a missing or null procedures list is an empty workflow, as in the seed")
    func missingProcedures() throws {
        #expect(try problems("{}") == [])
        #expect(try problems(#"{"procedures": null}"#) == [])
        #expect(try Workflow(json: "{}").procedures.isEmpty)
    }

    @Test("extensions are read into the step")
    func readsExtensions() throws {
        let workflow = try Workflow(
            json: """
                {"max_parallel": 3, "timeout": 60, "on_error": "continue",
                 "procedures": [
                  {"name": "list", "mod": "test.Probe", "method": "echo", "params": {"data": [1, 2]}},
                  {"name": "each", "mod": "test.Probe", "method": "echo", "params": {"n": "@item"},
                   "depends_on": ["list"], "when": "@list.status", "retry": {"count": 2, "delay": 1.5, "backoff": "exponential", "max_delay": 4},
                   "timeout": 5, "on_error": "fail", "foreach": "@list.data", "max_parallel": 2, "description": "each item", "disabled": true},
                  {"name": "solo", "mod": "test.Probe", "method": "echo", "depends_on": "list", "retry": 3, "when": false}
                ]}
                """)
        #expect(workflow.validate(registry: registry) == [])
        #expect(workflow.maxParallel == 3)
        #expect(workflow.timeout == 60)
        #expect(workflow.onError == .continue)
        let each = workflow.procedures[1]
        #expect(each.dependsOn == ["list"])
        #expect(each.when == "@list.status")
        #expect(each.retry == RetryPolicy(count: 2, delay: 1.5, backoff: .exponential, maxDelay: 4))
        #expect(each.timeout == 5)
        #expect(each.onError == .fail)
        #expect(each.foreach == "@list.data")
        #expect(each.maxParallel == 2)
        #expect(each.description == "each item")
        #expect(each.disabled)
        let solo = workflow.procedures[2]
        #expect(solo.dependsOn == ["list"])
        #expect(solo.retry == RetryPolicy(count: 3))
        #expect(solo.whenLiteral == false)
        #expect(solo.when == nil)
    }

    @Test("every problem is reported at once, each with its path")
    func allProblemsAtOnce() throws {
        let found = try problems(
            """
            {"max_parallel": 0,
             "procedures": [
              {"name": "a", "mod": "test.Nope", "method": "run"},
              {"name": "", "mod": "test.Probe", "method": "echo"},
              {"name": "c", "mod": "test.Probe", "method": "typed", "params": {"count": "ten"}, "timeout": "5"},
              {"name": "c", "mod": "test.Probe", "method": "echo", "params": {"x": "@ghost.y"}, "depends_on": ["nobody"]}
            ]}
            """)
        #expect(
            found == [
                "procedures[1].name: must not be empty: a step needs a name",
                "procedures[2].timeout: expected a number of seconds greater than 0, got string \"5\"",
                "max_parallel: expected a whole number of 1 or more, got number 0",
                "procedures[3].name: duplicate step name 'c' (also used by procedures[2])",
                "procedures[0].mod: unknown module 'test.Nope' (modules: test.Probe, test.Other)",
                "procedures[2].params.msg: required by test.Probe.typed: the message to send",
                "procedures[2].params.count: expected integer, got string \"ten\"",
                "procedures[3].depends_on[0]: no step named 'nobody'",
                "procedures[3].params.x: @ghost.y refers to step 'ghost', but there is no step with that name",
            ])
    }

    @Test(
        "the document and step shapes are checked",
        arguments: [
            ("[1]", ["document: expected a JSON object with \"procedures\", got an array of 1 item"]),
            (#""text""#, ["document: expected a JSON object with \"procedures\", got string \"text\""]),
            (#"{"procedures": {"a": 1}}"#, ["procedures: expected an array of steps, got an object"]),
            (#"{"procedures": "step1"}"#, ["procedures: expected an array of steps, got string \"step1\""]),
            (#"{"procedures": ["x"]}"#, ["procedures[0]: expected a step object with name, mod and method, got string \"x\""]),
            (#"{"procedures": [{}]}"#, [
                "procedures[0].name: a step needs a name",
                "procedures[0].mod: a step needs a module, such as \"common.Bash\"",
                "procedures[0].method: a step needs a method, such as \"run\"",
            ]),
            (#"{"procedures": [{"name": 5, "mod": "", "method": " "}]}"#, [
                "procedures[0].name: expected text, got number 5",
                "procedures[0].mod: must not be empty: a step needs a module, such as \"common.Bash\"",
                "procedures[0].method: must not be empty: a step needs a method, such as \"run\"",
            ]),
            (#"{"procedures": [], "variables": [1]}"#, ["variables: expected an object of name: value pairs, got an array of 1 item"]),
        ] as [(String, [String])])
    func shapes(json: String, expected: [String]) throws {
        let found = try problems(json)
        #expect(found == expected)
    }

    @Test("a step that is not an object does not shift the paths of the steps after it")
    func pathsAfterABadStep() throws {
        #expect(
            try problems(#"{"procedures": [7, {"name": "b", "mod": "test.Nope", "method": "x"}]}"#) == [
                "procedures[0]: expected a step object with name, mod and method, got number 7",
                "procedures[1].mod: unknown module 'test.Nope' (modules: test.Probe, test.Other)",
            ])
    }

    @Test("a non-object document given as a value is reported at 'document'")
    func documentValue() {
        #expect(problems(document: nil) == ["document: expected a JSON object with \"procedures\", got null"])
    }

    @Test(
        "modules, methods and parameters are checked against the registry",
        arguments: [
            (#""mod": "test.Nope", "method": "run""#, ["procedures[0].mod: unknown module 'test.Nope' (modules: test.Probe, test.Other)"]),
            (#""mod": "mod.test.Probe", "method": "echo""#, ["procedures[0].mod: unknown module 'mod.test.Probe'; write 'test.Probe' without the 'mod.' prefix"]),
            (#""mod": "mod.test.Nope", "method": "echo""#, ["procedures[0].mod: unknown module 'mod.test.Nope' (modules: test.Probe, test.Other)"]),
            (#""mod": "test.Other", "method": "run""#, ["procedures[0].method: module test.Other has no method 'run' (methods: noop)"]),
            (#""mod": "test.Probe", "method": "typed""#, ["procedures[0].params.msg: required by test.Probe.typed: the message to send"]),
            (#""mod": "test.Probe", "method": "typed", "params": {"msg": null}"#, []),
        ] as [(String, [String])])
    func modules(step: String, expected: [String]) throws {
        let found = try problems(#"{"procedures": [{"name": "a", \#(step)}]}"#)
        #expect(found == expected)
    }

    @Test(
        "literal parameter values are checked against the declared types; references and numeric text pass",
        arguments: [
            (#"{"msg": "hi", "count": 3, "ratio": 0.5, "flag": true, "cmd": ["ls"], "options": {}}"#, []),
            (#"{"msg": "hi", "count": "3", "ratio": "0.5", "cmd": "ls"}"#, []),
            (#"{"msg": "@prev.text", "count": "@prev.n", "flag": "${prev.flag}", "options": "@prev"}"#, []),
            (#"{"msg": 5}"#, ["procedures[1].params.msg: expected string, got number 5"]),
            (#"{"msg": "hi", "count": "ten"}"#, ["procedures[1].params.count: expected integer, got string \"ten\""]),
            (#"{"msg": "hi", "count": true}"#, ["procedures[1].params.count: expected integer, got boolean true"]),
            (#"{"msg": "hi", "ratio": [1]}"#, ["procedures[1].params.ratio: expected number, got an array of 1 item"]),
            (#"{"msg": "hi", "flag": "yes"}"#, ["procedures[1].params.flag: expected boolean, got string \"yes\""]),
            (#"{"msg": "hi", "cmd": 5}"#, ["procedures[1].params.cmd: expected string or array, got number 5"]),
            (#"{"msg": "hi", "options": []}"#, ["procedures[1].params.options: expected object, got an array of 0 items"]),
            (#"{"msg": "@@literal", "count": "@@3"}"#, ["procedures[1].params.count: expected integer, got string \"@@3\""]),
        ] as [(String, [String])])
    func parameterTypes(params: String, expected: [String]) throws {
        let json = """
            {"procedures": [
              {"name": "prev", "mod": "test.Probe", "method": "echo"},
              {"name": "a", "mod": "test.Probe", "method": "typed", "params": \(params)}
            ]}
            """
        let found = try problems(json)
        #expect(found == expected)
    }

    @Test(
        "references must name a step that finishes before this one",
        arguments: [
            // b runs after a in list order, so a cannot see it.
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "params": {"x": "@b.y"}}, {"name": "b", "mod": "test.Probe", "method": "echo"}]"#,
             ["procedures[0].params.x: @b.y refers to step 'b', which does not finish before this step; add \"b\" to depends_on"]),
            // With depends_on, only the named steps (and theirs) are upstream.
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo"}, {"name": "b", "mod": "test.Probe", "method": "echo", "depends_on": []}, {"name": "c", "mod": "test.Probe", "method": "echo", "depends_on": ["a"], "params": {"x": "${b.y}"}}]"#,
             ["procedures[2].params.x: @b.y refers to step 'b', which does not finish before this step; add \"b\" to depends_on"]),
            // Upstream through a chain of defaults.
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo"}, {"name": "b", "mod": "test.Probe", "method": "echo"}, {"name": "c", "mod": "test.Probe", "method": "echo", "params": {"x": "@a"}}]"#, []),
            // Upstream through depends_on of depends_on.
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "depends_on": []}, {"name": "b", "mod": "test.Probe", "method": "echo", "depends_on": ["a"]}, {"name": "c", "mod": "test.Probe", "method": "echo", "depends_on": ["b"], "params": {"x": "@a"}}]"#, []),
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "params": {"x": "@a.status"}}]"#,
             ["procedures[0].params.x: @a.status refers to this step's own result"]),
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "params": {"body": {"items": [1, "n=${ghost.n}"]}}}]"#,
             ["procedures[0].params.body.items[1]: @ghost.n refers to step 'ghost', but there is no step with that name"]),
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "params": {"x": "@a."}}]"#,
             ["procedures[0].params.x: reference @a. ends with '.'"]),
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "params": {"x": "@var.env", "y": "@sys.key", "z": "@@b"}}]"#, []),
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "when": "@b.ok"}, {"name": "b", "mod": "test.Probe", "method": "echo"}]"#,
             ["procedures[0].when: @b.ok refers to step 'b', which does not finish before this step; add \"b\" to depends_on"]),
            (#"[{"name": "a", "mod": "test.Probe", "method": "echo", "foreach": "@b.data"}, {"name": "b", "mod": "test.Probe", "method": "echo"}]"#,
             ["procedures[0].foreach: @b.data refers to step 'b', which does not finish before this step; add \"b\" to depends_on"]),
        ] as [(String, [String])])
    func references(procedures: String, expected: [String]) throws {
        let found = try problems(#"{"procedures": \#(procedures)}"#)
        #expect(found == expected)
    }

    @Test(
        "@item and @index belong in the params of a foreach step",
        arguments: [
            (#""params": {"x": "@item"}"#, ["procedures[0].params.x: @item is only available in a step with foreach"]),
            (#""params": {"x": "n=${index}"}"#, ["procedures[0].params.x: @index is only available in a step with foreach"]),
            (#""foreach": [1, 2], "params": {"x": "@item", "i": "${index}"}"#, []),
            (#""foreach": "@item.list""#, ["procedures[0].foreach: @item.list cannot be used in foreach itself, which gives the items"]),
            (#""foreach": [1], "when": "@item > 0""#, ["procedures[0].when: @item cannot be used in when, which is checked once for the whole step before any item runs"]),
        ] as [(String, [String])])
    func foreachReferences(extra: String, expected: [String]) throws {
        let found = try problems(oneStep(extra))
        #expect(found == expected)
    }

    @Test("unknown depends_on names are reported per entry")
    func unknownDependsOn() throws {
        #expect(
            try problems(
                #"{"procedures": [{"name": "a", "mod": "test.Probe", "method": "echo"}, {"name": "b", "mod": "test.Probe", "method": "echo", "depends_on": ["a", "ghost", "phantom"]}]}"#
            ) == ["procedures[1].depends_on[1]: no step named 'ghost'", "procedures[1].depends_on[2]: no step named 'phantom'"])
    }

    @Test("a dependency cycle names its steps in the order they would run")
    func cycles() throws {
        let json = """
            {"procedures": [
              {"name": "a", "mod": "test.Probe", "method": "echo", "depends_on": ["c"]},
              {"name": "b", "mod": "test.Probe", "method": "echo", "depends_on": ["a"]},
              {"name": "c", "mod": "test.Probe", "method": "echo", "depends_on": ["b"]},
              {"name": "d", "mod": "test.Probe", "method": "echo", "depends_on": ["d"]}
            ]}
            """
        #expect(
            try problems(json) == [
                "procedures[1].depends_on: dependency cycle: b → c → a → b",
                "procedures[3].depends_on: dependency cycle: d → d",
            ])
    }

    @Test("a very long chain of depends_on is checked without exhausting the stack")
    func longChain() {
        // Step i waits for step i + 1: the cycle search walks the whole chain at once.
        let count = 20_000
        let steps = (0..<count).map { i in
            Procedure(name: "s\(i)", mod: "test.Probe", method: "echo", dependsOn: i + 1 < count ? ["s\(i + 1)"] : [])
        }
        let workflow = Workflow(procedures: steps)
        #expect(workflow.validate(registry: registry) == [])
        var looped = steps
        looped[count - 1].dependsOn = ["s0"]
        let issues = Workflow(procedures: looped).validate(registry: registry)
        #expect(issues.count == 1)
        #expect(issues.first?.path == "procedures[19999].depends_on")
        #expect(issues.first?.message.hasPrefix("dependency cycle: s19999 → s19998 → ") == true)
        #expect(issues.first?.message.hasSuffix(" → s1 → s0 → s19999") == true)
    }

    @Test("reference problems are reported even when the document also has a cycle")
    func referencesWithCycles() throws {
        let json = """
            {"procedures": [
              {"name": "a", "mod": "test.Probe", "method": "echo", "depends_on": ["a"]},
              {"name": "b", "mod": "test.Probe", "method": "echo", "params": {"x": "@ghost"}}
            ]}
            """
        #expect(
            try problems(json) == [
                "procedures[0].depends_on: dependency cycle: a → a",
                "procedures[1].params.x: @ghost refers to step 'ghost', but there is no step with that name",
            ])
    }

    @Test(
        "wrong types in step extension fields",
        arguments: [
            (#""retry": "three""#, [#"procedures[0].retry: expected an object such as {"count": 3, "delay": 5, "backoff": "exponential"}, got string "three""#]),
            (#""retry": -1"#, ["procedures[0].retry: expected a retry count of 0 or more, got -1"]),
            (#""retry": 1.5"#, [#"procedures[0].retry: expected an object such as {"count": 3, "delay": 5, "backoff": "exponential"}, got number 1.5"#]),
            (#""retry": {}"#, ["procedures[0].retry.count: is required: how many times to retry"]),
            (#""retry": {"count": 1.5}"#, ["procedures[0].retry.count: expected a whole number of 0 or more, got number 1.5"]),
            (#""retry": {"count": -2}"#, ["procedures[0].retry.count: expected a whole number of 0 or more, got number -2"]),
            (#""retry": {"count": 2, "delay": "5"}"#, [#"procedures[0].retry.delay: expected a number of seconds of 0 or more, got string "5""#]),
            (#""retry": {"count": 2, "backoff": "linear"}"#, [#"procedures[0].retry.backoff: expected "fixed" or "exponential", got "linear""#]),
            (#""retry": {"count": 2, "backoff": 2}"#, [#"procedures[0].retry.backoff: expected "fixed" or "exponential", got number 2"#]),
            (#""retry": {"count": 2, "max_delay": -1}"#, ["procedures[0].retry.max_delay: expected a number of seconds of 0 or more, got number -1"]),
            (#""retry": {"count": 2, "tries": 3}"#, ["procedures[0].retry.tries: unknown retry setting (use count, delay, backoff, max_delay)"]),
            (#""timeout": 0"#, ["procedures[0].timeout: expected a number of seconds greater than 0, got number 0"]),
            (#""timeout": "ten""#, [#"procedures[0].timeout: expected a number of seconds greater than 0, got string "ten""#]),
            (#""on_error": "ignore""#, [#"procedures[0].on_error: expected "fail" or "continue", got "ignore""#]),
            (#""on_error": true"#, [#"procedures[0].on_error: expected "fail" or "continue", got boolean true"#]),
            (#""foreach": "list""#, [#"procedures[0].foreach: expected a reference to an array (such as "@list.data") or an array, got string "list""#]),
            (#""foreach": "@@list""#, [#"procedures[0].foreach: expected a reference to an array (such as "@list.data") or an array, got string "@@list""#]),
            (#""foreach": {"a": 1}"#, [#"procedures[0].foreach: expected a reference to an array (such as "@list.data") or an array, got an object"#]),
            (#""max_parallel": 0"#, ["procedures[0].max_parallel: expected a whole number of 1 or more, got number 0"]),
            (#""max_parallel": "2""#, [#"procedures[0].max_parallel: expected a whole number of 1 or more, got string "2""#]),
            (#""max_parallel": 1.5"#, ["procedures[0].max_parallel: expected a whole number of 1 or more, got number 1.5"]),
            (#""when": 5"#, [#"procedures[0].when: expected a condition such as "@check.exit_code == 0", got number 5"#]),
            (#""when": "@a.x =""#, ["procedures[0].when: invalid condition at column 6: use '==' to compare, not '='"]),
            (#""when": "@var.x ==""#, ["procedures[0].when: invalid condition at column 10: the condition ends where a value was expected"]),
            (#""disabled": "yes""#, [#"procedures[0].disabled: expected true or false, got string "yes""#]),
            (#""description": 5"#, ["procedures[0].description: expected text, got number 5"]),
            (#""depends_on": 5"#, ["procedures[0].depends_on: expected an array of step names, got number 5"]),
            (#""depends_on": [1]"#, ["procedures[0].depends_on[0]: expected a step name, got number 1"]),
            (#""params": []"#, ["procedures[0].params: expected an object, got an array of 0 items"]),
        ] as [(String, [String])])
    func stepExtensionTypes(extra: String, expected: [String]) throws {
        let found = try problems(oneStep(extra))
        #expect(found == expected)
    }

    @Test(
        "wrong types in workflow extension fields",
        arguments: [
            (#""max_parallel": 0"#, ["max_parallel: expected a whole number of 1 or more, got number 0"]),
            (#""max_parallel": "4""#, [#"max_parallel: expected a whole number of 1 or more, got string "4""#]),
            (#""timeout": -5"#, ["timeout: expected a number of seconds greater than 0, got number -5"]),
            (#""on_error": "skip""#, [#"on_error: expected "fail" or "continue", got "skip""#]),
            (#""inputs": "x""#, [#"inputs: expected an object of input declarations such as {"env": {"type": "string"}}, got string "x""#]),
            (#""inputs": {"env": 5}"#, ["inputs.env: expected an object with type, default, description, got number 5"]),
            (#""inputs": {"env": {"type": "text"}}"#, [#"inputs.env.type: unknown type "text" (use string, number, integer, boolean, array, object or any)"#]),
            (#""inputs": {"env": {"type": 1}}"#, ["inputs.env.type: expected a type name, got number 1"]),
            (#""inputs": {"env": {"description": 1}}"#, ["inputs.env.description: expected text, got number 1"]),
            (#""inputs": {"env": {"required": "yes"}}"#, [#"inputs.env.required: expected true or false, got string "yes""#]),
            (#""inputs": {"n": {"type": "integer", "default": "abc"}}"#, [#"inputs.n.default: does not match the declared type: expected an integer, got string "abc""#]),
            (#""inputs": {"n": {"type": "boolean", "default": 3}}"#, ["inputs.n.default: does not match the declared type: expected a boolean, got number 3"]),
        ] as [(String, [String])])
    func workflowExtensionTypes(extra: String, expected: [String]) throws {
        let found = try problems(#"{\#(extra), "procedures": []}"#)
        #expect(found == expected)
    }

    @Test("without depends_on a step waits for the one before it; [] waits for none")
    func dependencies() throws {
        let workflow = try Workflow(
            json: """
                {"procedures": [
                  {"name": "a", "mod": "test.Probe", "method": "echo"},
                  {"name": "b", "mod": "test.Probe", "method": "echo", "depends_on": []},
                  {"name": "c", "mod": "test.Probe", "method": "echo"},
                  {"name": "d", "mod": "test.Probe", "method": "echo", "depends_on": ["a", "c", "a", "ghost"]}
                ]}
                """)
        #expect(workflow.dependencyIndices() == [[], [], [1], [0, 2]])
    }

    @Test("a JSON syntax error in the text is thrown with its position")
    func syntaxError() {
        #expect(throws: JSONParseError.self) {
            try Workflow(json: #"{"procedures": [}"#)
        }
    }
}
