import ArgumentParser
import Foundation
import WorkFlowEngine
import WorkFlowModules

/// `workflow modules`
struct ModulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modules",
        abstract: "List the modules, their methods and parameters."
    )

    @Argument(help: "Show only this module (such as common.Bash).")
    var module: String?

    @Flag(help: "Print the descriptors as JSON.")
    var json = false

    func run() async throws {
        let code = ModulesCommand.list(module: module, json: json, registry: BuiltinModules.registry(), console: StandardConsole())
        if code != 0 { throw ExitCode(code) }
    }

    static func list(module: String?, json: Bool, registry: ModuleRegistry, console: any Console) -> Int32 {
        var descriptors = registry.descriptors
        if let module {
            descriptors = descriptors.filter { $0.name == module }
            if descriptors.isEmpty {
                console.err("unknown module '\(module)' (modules: \(registry.names.joined(separator: ", ")))\n")
                return WorkFlowCommand.invalidExitCode
            }
        }
        if json {
            console.out(JSONWriter.prettyString(from: .array(descriptors.map(Self.json))) + "\n")
            return 0
        }
        var text = ""
        for descriptor in descriptors {
            text += "\(descriptor.name) — \(descriptor.doc)\n"
            for method in descriptor.methods {
                text += "  \(method.name): \(method.doc)\n"
                for p in method.parameters {
                    var line = "      \(p.name) (\(p.typeDescription)"
                    if p.required { line += ", required" }
                    if let d = p.defaultValue { line += ", default \(d)" }
                    text += line + ") \(p.doc)\n"
                }
                text += "      → \(method.result)\n"
            }
            text += "\n"
        }
        console.out(text)
        return 0
    }

    static func json(_ d: ModuleDescriptor) -> JSONValue {
        [
            "name": .string(d.name),
            "doc": .string(d.doc),
            "methods": .array(
                d.methods.map { m in
                    [
                        "name": .string(m.name),
                        "doc": .string(m.doc),
                        "params": .array(
                            m.parameters.map { p in
                                [
                                    "name": .string(p.name),
                                    "type": .string(p.typeDescription),
                                    "required": .bool(p.required),
                                    "default": p.defaultValue ?? .null,
                                    "doc": .string(p.doc),
                                ]
                            }),
                        "result": .string(m.result),
                    ]
                }),
        ]
    }
}
