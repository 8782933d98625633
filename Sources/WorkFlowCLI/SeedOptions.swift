import ArgumentParser
import Foundation
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// The seed's one-option command line, done with the same operations as `workflow flow ...`.
struct SeedOptions {
    let command: WorkFlowCommand

    func perform() async throws {
        let c = command
        if c.serve {
            try await ServeCommand.serve(options: nil, global: c.global)
            return
        }
        if let name = c.flow {
            let code = try await CommandContext.with(c.global) { context in
                let runner = WorkflowRunner(console: context.console, registry: context.registry, store: context.store)
                return await runner.run(.stored(name), inputs: [:], json: c.global.json)
            }
            if code != 0 { throw ExitCode(code) }
            return
        }
        try await CommandContext.with(c.global) { context in
            let store = context.store
            if let text = c.create ?? c.update {
                let (name, document) = try Self.parseDefinition(text, option: c.create != nil ? "-c" : "-u", context: context)
                let flow =
                    c.create != nil
                    ? try await store.createFlow(name: name, document: document, author: CommandAuthor.current, comment: nil)
                    : try await store.updateFlow(name: name, document: document, author: CommandAuthor.current, comment: nil)
                context.output(Presentation.json(flow, document: false)) {
                    "\(c.create != nil ? "Created" : "Updated") workflow '\(flow.name)' (version \(flow.currentVersion)).\n"
                }
            } else if let text = c.rename {
                guard case .object(let o)? = try? JSONParser(allowsJSON5: true).parse(text),
                    let current = o["current"]?.stringValue, let new = o["new"]?.stringValue
                else {
                    throw context.fail("-r: expected {\"current\": \"old name\", \"new\": \"new name\"}", code: WorkFlowCommand.invalidExitCode)
                }
                let flow = try await store.renameFlow(from: current, to: new, author: CommandAuthor.current)
                context.output(Presentation.json(flow, document: false)) { "Renamed '\(current)' to '\(flow.name)'.\n" }
            } else if let name = c.delete {
                let renamed = try await store.deleteFlow(name: name, author: CommandAuthor.current)
                context.output(["status": true, "name": .string(name), "deleted_as": .string(renamed)]) {
                    "Deleted workflow '\(name)' (kept as '\(renamed)').\n"
                }
            } else if let name = c.enable ?? c.disable {
                let flow = try await store.setEnabled(name: name, enabled: c.enable != nil, author: CommandAuthor.current)
                context.output(Presentation.json(flow, document: false)) { "Workflow '\(flow.name)' is \(flow.enabled ? "enabled" : "disabled").\n" }
            } else if let name = c.info {
                guard let flow = try await store.flow(named: name) else { throw context.fail("no workflow named '\(name)'") }
                context.console.out(JSONWriter.prettyString(from: Presentation.json(flow)) + "\n")
            } else if c.list {
                let flows = try await store.listFlows(FlowQuery())
                context.output(.array(flows.map { Presentation.json($0, document: false) })) {
                    var table = TextTable(["NAME", "ENABLED", "VERSION", "UPDATED"])
                    for flow in flows { table.append([flow.name, flow.enabled ? "yes" : "no", "\(flow.currentVersion)", context.display(flow.updatedAt)]) }
                    return table.render(empty: "No workflows.")
                }
            }
        }
    }

    /// The seed's `{"name", "procedures", "variables"?, "_connections"?, "_positions"?}` text.
    static func parseDefinition(_ text: String, option: String, context: CommandContext) throws -> (String, JSONObject) {
        let value: JSONValue
        do {
            value = try JSONParser(allowsJSON5: true).parse(text)
        } catch {
            throw context.fail("\(option): not valid JSON5: \(error.description)", code: WorkFlowCommand.invalidExitCode)
        }
        guard let name = value["name"]?.stringValue else {
            throw context.fail("\(option): the document needs a \"name\"", code: WorkFlowCommand.invalidExitCode)
        }
        do {
            return (name, try FlowDocumentInput.check(Workflow(document: value), source: option, registry: context.registry))
        } catch {
            throw context.fail(error.description.trimmingCharacters(in: .newlines), code: WorkFlowCommand.invalidExitCode)
        }
    }
}
