import Testing
import WorkFlowEngine

/// Results, variables and statuses as a step in the middle of a run sees them.
private enum Fixture {
    static let fetch: JSONValue = [
        "status": true, "count": 3,
        "data": [["name": "ann", "age": 30], ["name": "bob", "age": 41]],
        "b.c": "literal", "b": ["c": "nested"], "empty": [:], "nothing": nil, "ok": true,
    ]

    static let scope = ReferenceScope(
        results: ["fetch": fetch, "keyed": ["status": true, "data": ["0": "zero"]]],
        variables: ["env": "prod", "region": ["name": "eu"]],
        statuses: ["fetch": .success, "keyed": .success, "gone": .skipped, "broken": .failed, "stopped": .cancelled, "busy": .running])

    static let system = InMemorySystemVariables([
        "host": SystemVariable(value: "db.local"),
        "db_password": SystemVariable(value: "s3cr3t", isSecret: true),
        "creds": SystemVariable(value: ["user": "svc", "pass": "hunter22", "port": 5432], isSecret: true),
    ])

    static func resolver(_ scope: ReferenceScope = scope) -> ReferenceResolver {
        ReferenceResolver(scope: scope, systemVariables: system, request: SystemVariableRequest(stepName: "current"))
    }
}

private func resolve(_ value: JSONValue, in scope: ReferenceScope = Fixture.scope) async throws -> JSONValue {
    try await Fixture.resolver(scope).resolve(value).value
}

/// The description of the error that resolving `value` throws.
private func resolutionError(_ value: JSONValue, in scope: ReferenceScope = Fixture.scope) async -> String? {
    do {
        let resolved = try await resolve(value, in: scope)
        Issue.record("expected an error, resolved to \(resolved)")
        return nil
    } catch {
        return String(describing: error)
    }
}

@Suite("References")
struct ReferenceTests {
    @Test(
        "step references read whole results, keys and deep paths",
        arguments: [
            ("@fetch.count", 3),
            ("@fetch.data.0.name", "ann"),
            ("@fetch.data[0].name", "ann"),
            ("@fetch.data[1]", ["name": "bob", "age": 41]),
            ("@fetch.data[-1].name", "bob"),
            ("@fetch.data.-2.name", "ann"),
            ("@fetch['b.c']", "literal"),
            ("@fetch.b", ["c": "nested"]),
            ("@fetch.nothing", nil),
            ("@keyed.data.0", "zero"),
            ("@keyed.data[0]", "zero"),
        ] as [(String, JSONValue)])
    func stepPaths(reference: String, expected: JSONValue) async throws {
        #expect(try await resolve(.string(reference)) == expected)
    }

    @Test("@step is the step's whole result")
    func wholeResult() async throws {
        #expect(try await resolve("@fetch") == Fixture.fetch)
    }

    @Test("a dotted key that exists literally wins over the deep path, as the seed looked it up")
    func literalDottedKey() async throws {
        #expect(try await resolve("@fetch.b.c") == "literal")
        let scope = ReferenceScope(results: ["a": ["b": ["c": "deep"]]])
        #expect(try await resolve("@a.b.c", in: scope) == "deep")
    }

    @Test("a dotted variable name that exists literally wins too, as @var was an ordinary step in the seed")
    func literalDottedVariable() async throws {
        let scope = ReferenceScope(variables: ["db.host": "db.local", "db": ["port": 5432]])
        #expect(try await resolve("@var.db.host", in: scope) == "db.local")
        #expect(try await resolve("@var.db.port", in: scope) == 5432)
        #expect(try await resolve("${var.db.host}:${var.db.port}", in: scope) == "db.local:5432")
        let alone = ReferenceScope(variables: ["app.name": "shop"])
        #expect(try await resolve("@var.app.name", in: alone) == "shop")
    }

    @Test("a whole-value reference keeps its JSON type")
    func keepsType() async throws {
        #expect(try await resolve("@fetch.count") == .int(3))
        #expect(try await resolve("@fetch.ok") == .bool(true))
        #expect(try await resolve("@fetch.data") == Fixture.fetch["data"])
        #expect(try await resolve("@fetch.empty") == [:])
    }

    @Test("@@ escapes a leading @, and an @ later in the text is plain text")
    func escapes() async throws {
        #expect(try await resolve("@@fetch.count") == "@fetch.count")
        #expect(try await resolve("@@") == "@")
        #expect(try await resolve("mail a@b.com") == "mail a@b.com")
        #expect(try await resolve("Saved @fetch.count rows") == "Saved @fetch.count rows")
    }

    @Test("@var reads variables (inputs already merged over them)")
    func variables() async throws {
        #expect(try await resolve("@var.env") == "prod")
        #expect(try await resolve("@var.region.name") == "eu")
        #expect(try await resolve("@var") == ["env": "prod", "region": ["name": "eu"]])
    }

    @Test("run inputs override workflow variables in what @var reads")
    func inputsOverrideVariables() async throws {
        let workflow = try Workflow(json: #"{"variables": {"env": "dev", "region": "eu"}, "procedures": []}"#)
        let variables = try workflow.runVariables(inputs: ["env": "prod"])
        let scope = ReferenceScope(variables: variables)
        #expect(try await resolve("${var.env}/${var.region}", in: scope) == "prod/eu")
    }

    @Test("@sys reads system variables and reports the secret values it used")
    func systemVariables() async throws {
        let resolution = try await Fixture.resolver().resolve(
            ["host": "@sys.host", "password": "@sys.db_password", "dsn": "postgres://svc:${sys.db_password}@${sys.host}/app"])
        #expect(resolution.value == ["host": "db.local", "password": "s3cr3t", "dsn": "postgres://svc:s3cr3t@db.local/app"])
        #expect(Set(resolution.secrets) == ["s3cr3t"])
        let nested = try await Fixture.resolver().resolve("@sys.creds.pass")
        #expect(nested.value == "hunter22")
        // A secret object hides every value in it, not only the one that was read.
        #expect(Set(nested.secrets) == ["svc", "hunter22", "5432"])
        #expect(try await Fixture.resolver().resolve("@sys.host").secrets == [])
    }

    @Test("@sys asks the provider with the step and run that need the value")
    func systemVariableRequest() async throws {
        struct Recording: SystemVariableProvider {
            func variable(named name: String, for request: SystemVariableRequest) async throws -> SystemVariable? {
                SystemVariable(value: .string("\(name) for \(request.stepName) of run \(request.runID ?? 0) by \(request.triggeredBy ?? "-")"))
            }
        }
        let resolver = ReferenceResolver(
            scope: ReferenceScope(), systemVariables: Recording(),
            request: SystemVariableRequest(runID: 7, triggeredBy: "alice", stepName: "deploy"))
        #expect(try await resolver.resolve("@sys.key").value == "key for deploy of run 7 by alice")
    }

    @Test("a provider's refusal fails the resolution with its own error")
    func systemVariableRefused() async {
        struct Refusing: SystemVariableProvider {
            func variable(named name: String, for request: SystemVariableRequest) async throws -> SystemVariable? {
                throw ProbeError(message: "User 'bob' does not have permission to use system variables")
            }
        }
        let resolver = ReferenceResolver(scope: ReferenceScope(), systemVariables: Refusing(), request: SystemVariableRequest(stepName: "s"))
        await #expect(throws: ProbeError.self) {
            try await resolver.resolve("@sys.ssh_key")
        }
    }

    @Test("@item and @index read the current foreach item")
    func foreachItem() async throws {
        var scope = Fixture.scope
        scope.item = ["id": 7, "tags": ["x", "y"]]
        scope.index = 2
        #expect(try await resolve("@item", in: scope) == ["id": 7, "tags": ["x", "y"]])
        #expect(try await resolve("@item.tags[1]", in: scope) == "y")
        #expect(try await resolve("@index", in: scope) == 2)
        #expect(try await resolve("${index}: ${item.id} of ${fetch.count}", in: scope) == "2: 7 of 3")
    }

    @Test(
        "${...} interpolates inside text; non-string values are written as compact JSON",
        arguments: [
            ("Saved ${fetch.count} rows", "Saved 3 rows"),
            ("env=${var.env}", "env=prod"),
            ("${ @fetch.count }!", "3!"),
            ("first: ${fetch.data[0]}", #"first: {"name":"ann","age":30}"#),
            ("${fetch.nothing}/${fetch.ok}/${fetch.empty}", "null/true/{}"),
            ("cost $${fetch.count} is ${fetch.count}", "cost ${fetch.count} is 3"),
            ("only $${literal}", "only ${literal}"),
            ("$ and { alone", "$ and { alone"),
        ] as [(String, String)])
    func interpolation(text: String, expected: String) async throws {
        #expect(try await resolve(.string(text)) == .string(expected))
    }

    @Test("resolution goes through nested objects and arrays and leaves other values alone")
    func recursion() async throws {
        let params: JSONValue = [
            "rows": ["@fetch.count", ["label": "${var.env}!", "raw": "@@x"]],
            "n": 5, "flag": false, "none": nil, "text": "plain",
        ]
        #expect(try await resolve(params) == ["rows": [3, ["label": "prod!", "raw": "@x"]], "n": 5, "flag": false, "none": nil, "text": "plain"])
    }

    @Test(
        "a missing reference names the reference and what was available",
        arguments: [
            ("@ghost", "@ghost: no result for step 'ghost' (steps with results: fetch, keyed)"),
            ("@ghost.x", "@ghost.x: no result for step 'ghost' (steps with results: fetch, keyed)"),
            ("@fetch.missing", "@fetch.missing: key 'missing' not found in the result of step 'fetch' (available: status, count, data, b.c, b, empty, nothing, ok)"),
            ("@fetch.empty.x", "@fetch.empty.x: key 'x' not found in 'empty' of the result of step 'fetch' (it is empty)"),
            ("@fetch.data[5]", "@fetch.data[5]: index 5 is out of range in 'data' of the result of step 'fetch' (an array of 2 items)"),
            ("@fetch.data[-3]", "@fetch.data[-3]: index -3 is out of range in 'data' of the result of step 'fetch' (an array of 2 items)"),
            ("@fetch.data.name", "@fetch.data.name: 'data' of the result of step 'fetch' is an array of 2 items; use an index such as [0] instead of 'name'"),
            ("@fetch.count.x", "@fetch.count.x: cannot look up key 'x' in 'count' of the result of step 'fetch', which is number 3"),
            ("@fetch.count[0]", "@fetch.count[0]: cannot look up index 0 in 'count' of the result of step 'fetch', which is number 3"),
            ("@keyed.data.1", "@keyed.data.1: key '1' not found in 'data' of the result of step 'keyed' (available: 0)"),
            ("@gone.x", "@gone.x: step 'gone' was skipped, so it has no result"),
            ("@broken", "@broken: step 'broken' failed, so it has no result"),
            ("@stopped.x", "@stopped.x: step 'stopped' was cancelled, so it has no result"),
            ("@busy.x", "@busy.x: step 'busy' has not finished yet (add it to depends_on)"),
            ("@var.nope", "@var.nope: variable 'nope' is not defined (available: env, region)"),
            ("@var.env.x", "@var.env.x: cannot look up key 'x' in 'env' of variables, which is string \"prod\""),
            ("@sys.nope", "@sys.nope: system variable 'nope' is not configured"),
            ("@sys.host.x", "@sys.host.x: cannot look up key 'x' in system variable 'host', which is string \"db.local\""),
            ("@item", "@item: @item is only available in a step with foreach"),
            ("@index", "@index: @index is only available in a step with foreach"),
            ("in text: ${ghost.x}", "@ghost.x: no result for step 'ghost' (steps with results: fetch, keyed)"),
        ] as [(String, String)])
    func missingReferences(text: String, message: String) async {
        #expect(await resolutionError(.string(text)) == message)
    }

    @Test("with no results and no variables the messages say so")
    func emptyScope() async {
        #expect(await resolutionError("@first.x", in: ReferenceScope()) == "@first.x: no result for step 'first' (no step has a result yet)")
        #expect(
            await resolutionError("@var.env", in: ReferenceScope())
                == "@var.env: variable 'env' is not defined: the workflow has no variables or inputs")
    }

    @Test(
        "malformed references are syntax errors that say what is wrong",
        arguments: [
            ("@", "reference @ is empty; write @step or @step.key"),
            ("@.x", "reference @.x has no step name before '.'"),
            ("@[0]", "reference @[0] has no step name before '['"),
            ("@a.", "reference @a. ends with '.'"),
            ("@a.b.", "reference @a.b. ends with '.'"),
            ("@a..b", "reference @a..b has an empty key between dots"),
            ("@a[0", "reference @a[0 has '[' without a closing ']'"),
            ("@a[x]", "reference @a[x] has '[x]'; use a number such as [0] or a quoted key such as ['name']"),
            ("@sys", "reference @sys needs a system variable name: @sys.name"),
            ("@sys[0]", "reference @sys[0] needs a system variable name: @sys.name"),
            ("x ${a", "reference @a is not closed: '${' needs a matching '}' (write $${ for a literal ${)"),
            ("x ${}", "reference @ is empty; write @step or @step.key"),
        ] as [(String, String)])
    func syntaxErrors(text: String, message: String) async {
        #expect(await resolutionError(.string(text)) == message)
    }

    @Test("parsed references expose their root, path and the seed's literal key")
    func parsing() throws {
        let reference = try Reference(parsing: "fetch.data[0].name")
        #expect(reference.root == .step("fetch"))
        #expect(reference.components == [.key("data"), .index(0), .key("name")])
        #expect(reference.literalKey == "data[0].name")
        #expect(reference.description == "@fetch.data[0].name")
        #expect(reference.stepName == "fetch")
        #expect(try Reference(parsing: "var.env").root == .variables)
        #expect(try Reference(parsing: "sys.key").root == .system)
        #expect(try Reference(parsing: "item.id").root == .item)
        #expect(try Reference(parsing: "index").root == .index)
        #expect(try Reference(parsing: "my step.x").stepName == "my step")
    }

    @Test("references() finds every reference in a value, interpolations included")
    func collectsReferences() throws {
        let value: JSONValue = ["a": "@one.x", "b": ["t ${two} and ${var.v}", "@@not", 3], "c": ["d": "@item"]]
        #expect(try value.references().map(\.description) == ["@one.x", "@two", "@var.v", "@item"])
    }

    @Test("string forms: literal, escaped, whole-value reference or template")
    func stringForms() throws {
        #expect(try StringForm(parsing: "plain") == .literal("plain"))
        #expect(try StringForm(parsing: "@@x") == .literal("@x"))
        #expect(try StringForm(parsing: "@a.b") == .reference(try Reference(parsing: "a.b")))
        #expect(try StringForm(parsing: "n=${a}!") == .template([.text("n="), .reference(try Reference(parsing: "a")), .text("!")]))
    }
}
