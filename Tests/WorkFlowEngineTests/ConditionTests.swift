import Testing
import WorkFlowEngine

private let scope = ReferenceScope(
    results: [
        "check": [
            "exit_code": 0, "count": 5, "ratio": 0.5, "tags": ["a", "b"], "name": "prod-eu", "meta": ["k": 1],
            "flag": false, "none": nil,
        ]
    ],
    variables: ["env": "prod"])

private func evaluate(_ text: String) async throws -> Bool {
    let condition = try Condition(parsing: text)
    return try await condition.evaluate(with: ReferenceResolver(scope: scope, request: SystemVariableRequest(stepName: "s")))
}

@Suite("when conditions")
struct ConditionTests {
    @Test(
        "comparisons with every operator",
        arguments: [
            ("@check.exit_code == 0", true),
            ("@check.exit_code != 0", false),
            ("@check.count > 3", true),
            ("@check.count > 5", false),
            ("@check.count >= 5", true),
            ("@check.count < 5", false),
            ("@check.count <= 5", true),
            ("@check.ratio < 1", true),
            ("@check.count == 5.0", true),
            ("@check.name == 'prod-eu'", true),
            (#"@check.name == "prod-eu""#, true),
            ("@check.name != 'prod'", true),
            ("'apple' < 'banana'", true),
            ("true > false", true),
            ("-1 < @check.exit_code", true),
            ("1.5e1 == 15", true),
            ("@check.tags == ['a', 'b']", true),
            ("@check.tags == ['b', 'a']", false),
            ("@check.meta == @check.meta", true),
            (#"'it\'s' == "it's""#, true),
        ])
    func comparisons(text: String, expected: Bool) async throws {
        #expect(try await evaluate(text) == expected)
    }

    @Test(
        "in, not in and contains work on lists, objects and text",
        arguments: [
            ("'a' in @check.tags", true),
            ("'c' in @check.tags", false),
            ("'c' not in @check.tags", true),
            ("'a' not in @check.tags", false),
            ("@check.tags contains 'b'", true),
            ("@check.tags contains 'z'", false),
            ("'eu' in @check.name", true),
            ("@check.name contains 'prod'", true),
            ("'k' in @check.meta", true),
            ("'v' in @check.meta", false),
            ("@check.count in [1, 5, 9]", true),
            ("@check.count in [1, 5.0]", true),
            ("@var.env in ['prod', 'staging']", true),
            ("@var.env not in ['prod', 'staging']", false),
            ("1 in []", false),
            ("'x' in @check.none", false),
        ])
    func membership(text: String, expected: Bool) async throws {
        #expect(try await evaluate(text) == expected)
    }

    @Test(
        "and binds tighter than or; not binds tightest; words and symbols mean the same",
        arguments: [
            ("@check.count > 3 && @var.env != 'prod'", false),
            ("@check.count > 3 and @var.env == 'prod'", true),
            ("@check.flag || @check.count == 5", true),
            ("@check.flag or @check.exit_code == 1", false),
            ("true || false && false", true),
            ("true or false and false", true),
            ("(true || false) && false", false),
            ("false && true || true", true),
            ("false && (true || true)", false),
            ("not true or true", true),
            ("not (true or true)", false),
            ("!@check.flag", true),
            ("not @check.flag", true),
            ("! ! true", true),
            ("not @check.exit_code == 1", true),
            ("not 'a' in @check.tags", false),
        ])
    func logic(text: String, expected: Bool) async throws {
        #expect(try await evaluate(text) == expected)
    }

    @Test(
        "a lone value is tested for truth as Python does",
        arguments: [
            ("@check.flag", false),
            ("@check.exit_code", false),
            ("@check.count", true),
            ("@check.none", false),
            ("@check.tags", true),
            ("@check.meta", true),
            ("@check.name", true),
            ("''", false),
            ("'0'", true),
            ("0", false),
            ("0.0", false),
            ("[]", false),
            ("[0]", true),
            ("null", false),
            ("None", false),
            ("True", true),
            ("False", false),
        ])
    func truthiness(text: String, expected: Bool) async throws {
        #expect(try await evaluate(text) == expected)
    }

    @Test(
        "a reference that cannot be resolved reads as null",
        arguments: [
            ("@missing.x == null", true),
            ("@missing.x", false),
            ("not @missing", true),
            ("@check.nope == 0", false),
            ("@check.nope != 0", true),
            ("@missing.x > 3", false),
            ("@missing.x <= 3", false),
            ("'a' in @missing", false),
            ("@var.undefined == null", true),
        ])
    func missingReadsAsNull(text: String, expected: Bool) async throws {
        #expect(try await evaluate(text) == expected)
    }

    @Test(
        "syntax errors give the column and the reason",
        arguments: [
            ("", "column 1: the condition is empty"),
            ("   ", "column 4: the condition is empty"),
            ("@check.count ==", "column 16: the condition ends where a value was expected"),
            ("@check.count = 1", "column 14: use '==' to compare, not '='"),
            ("@a == 1 &&", "column 11: the condition ends where a value was expected"),
            ("(@a == 1", "column 9: expected ')', found end of condition"),
            ("@a == prod", "column 7: unexpected word 'prod'; quote text ('prod') and start references with @"),
            ("@a not 3", "column 8: expected 'in' after 'not'"),
            ("'open", "column 1: unterminated string"),
            ("@ == 1", "column 1: '@' must be followed by a step name, var, item or index"),
            ("@a == 1 1", "column 9: unexpected 1"),
            ("@a # 1", "column 4: unexpected character '#'"),
            ("[1, 2", "column 6: expected ']' to close the list, found end of condition"),
            ("1 < 2 < 3", "column 7: unexpected '<'"),
            ("@a. == 1", "column 1: reference @a. ends with '.'"),
            ("1..2 == 1", "column 1: '1..2' is not a number"),
            ("@a == )", "column 7: unexpected ')' where a value was expected"),
        ])
    func syntaxErrors(text: String, message: String) {
        do {
            _ = try Condition(parsing: text)
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test(
        "comparing values that cannot be ordered is an evaluation error",
        arguments: [
            ("@check.name > 3", "cannot compare string \"prod-eu\" with number 3 using >"),
            ("@check.count <= '9'", "cannot compare number 5 with string \"9\" using <="),
            ("@check.tags < [1]", "cannot compare an array of 2 items with an array of 1 item using <"),
            ("@check.count in 5", "'in' needs a list, object or string on the right, got number 5"),
            ("@check.count not in true", "'not in' needs a list, object or string on the right, got boolean true"),
            ("@check.count contains 1", "'contains' needs a list, object or string on the left, got number 5"),
        ])
    func evaluationErrors(text: String, message: String) async {
        do {
            let value = try await evaluate(text)
            Issue.record("expected an evaluation error, got \(value)")
        } catch {
            #expect(String(describing: error) == message)
        }
    }

    @Test("deep nesting and endless chains are syntax errors, not stack overflows")
    func depthLimit() throws {
        let nested = String(repeating: "(", count: 100) + "true" + String(repeating: ")", count: 100)
        #expect(try Condition(parsing: nested) == .value(true))
        let chain = Array(repeating: "true", count: 100).joined(separator: " and ")
        #expect(try Condition(parsing: chain).references == [])
        let hostile = [
            String(repeating: "(", count: 100_000) + "true",
            String(repeating: "not ", count: 100_000) + "true",
            String(repeating: "[", count: 100_000),
            Array(repeating: "true", count: 100_000).joined(separator: " or "),
            Array(repeating: "(true and true)", count: 100_000).joined(separator: " && "),
        ]
        for text in hostile {
            do {
                _ = try Condition(parsing: text)
                Issue.record("expected a syntax error")
            } catch {
                #expect(error.message == "the condition is nested too deeply (more than 128 levels of brackets, not, and, or)")
            }
        }
    }

    @Test("a condition lists the references it reads, in order")
    func references() throws {
        let condition = try Condition(parsing: "@a.x > 1 and (@b in [@c, 2] or not @var.v)")
        #expect(condition.references.map(\.description) == ["@a.x", "@b", "@c", "@var.v"])
    }

    @Test("the parsed tree follows the precedence rules")
    func tree() throws {
        let a = Condition.reference(try Reference(parsing: "a"))
        #expect(
            try Condition(parsing: "@a == 1 or not @a and true")
                == .or(.compare(a, .equal, .value(1)), .and(.not(a), .value(true))))
    }
}
