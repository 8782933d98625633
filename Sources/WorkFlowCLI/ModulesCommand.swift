import ArgumentParser
import Foundation
import WorkFlowEngine
import WorkFlowModules
import WorkFlowServer

/// `workflow modules`
struct ModulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modules",
        abstract: "List the modules, their methods and parameters.",
        discussion: "Lists the built-in modules and the custom ones stored in the database or installed in $WORKFLOW_HOME/modules; --markdown prints the built-in reference only."
    )

    @Argument(help: "Show only this module (such as common.Bash).")
    var module: String?

    @Flag(help: "Print the reference as Markdown (docs/modules.md is made this way).")
    var markdown = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if global.json && markdown { throw ValidationError("choose one of --json and --markdown") }
    }

    func run() async throws {
        if markdown {
            // The reference of what ships, independent of any data folder.
            let code = ModulesCommand.list(module: module, json: false, markdown: true, registry: BuiltinModules.registry(), console: CommandIO.console)
            if code != 0 { throw ExitCode(code) }
            return
        }
        let code = try await CommandContext.with(global) { context in
            ModulesCommand.list(module: module, json: global.json, markdown: false, registry: context.registry, console: context.console)
        }
        if code != 0 { throw ExitCode(code) }
    }

    static func list(module: String?, json: Bool, markdown: Bool = false, registry: ModuleRegistry, console: any Console) -> Int32 {
        var descriptors = registry.descriptors
        if let module {
            descriptors = descriptors.filter { $0.name == module }
            if descriptors.isEmpty {
                console.err("unknown module '\(module)' (modules: \(registry.names.joined(separator: ", ")))\n")
                return WorkFlowCommand.invalidExitCode
            }
        }
        if json {
            console.out(JSONWriter.prettyString(from: .array(descriptors.map { Presentation.json($0) })) + "\n")
            return 0
        }
        if markdown {
            console.out(Self.markdown(descriptors))
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

    /// The hand-written pages under docs/ that go deeper than the generated tables.
    static let referencePages = [
        "common.Http": "modules/http.md",
        "common.FileIO": "modules/fileio.md",
        "common.Notify": "modules/notify.md",
        "common.Ssh": "modules/ssh.md",
    ]

    /// The module reference in Markdown.
    static func markdown(_ descriptors: [ModuleDescriptor]) -> String {
        var text = """
            # Modules

            The built-in modules, their methods, parameters and results, then [custom \
            modules](#custom-modules) and the module protocol. This file is generated from the \
            modules themselves: `workflow modules --markdown > docs/modules.md`.

            A step fails when its module throws (a missing required parameter, a value of the \
            wrong type) or returns `"status": false`; the step's `error` then says why.

            """
        for d in descriptors {
            text += "\n## \(d.name)\n\n\(d.doc)\n"
            if let page = referencePages[d.name] {
                text += "\nThe full reference, with examples and the differences from WorkFlow v0.0.3: [\(page)](\(page)).\n"
            }
            for m in d.methods {
                text += "\n### \(d.name).\(m.name)\n\n\(m.doc)\n\n"
                if m.parameters.isEmpty {
                    text += "No parameters.\n\n"
                } else {
                    text += "| parameter | type | required | default | meaning |\n|---|---|---|---|---|\n"
                    for p in m.parameters {
                        let fallback = p.defaultValue.map { "`\(JSONWriter.string(from: $0))`" } ?? ""
                        let doc = p.doc.replacingOccurrences(of: "|", with: "\\|")
                        text += "| `\(p.name)` | \(p.typeDescription) | \(p.required ? "yes" : "") | \(fallback) | \(doc) |\n"
                    }
                    text += "\n"
                }
                text += "Result: `\(m.result)`\n"
            }
        }
        return text + customModulesMarkdown
    }
}
