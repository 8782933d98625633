import ArgumentParser
import Foundation
import WorkFlowEngine
import WorkFlowStore

/// `workflow flow export NAME [--output FILE]`
struct FlowExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a stored workflow's document as JSON (with its name, ready for import).",
        discussion: "Examples:\n  workflow flow export nightly-backup > backup.json\n  workflow flow export nightly-backup --output backup.json")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String
    @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var output: String?

    func run() async throws {
        try await CommandContext.with(global) { context in
            guard let flow = try await context.store.flow(named: name) else {
                throw context.fail("no workflow named '\(name)'")
            }
            var document: JSONObject = ["name": .string(flow.name)]
            for (key, value) in flow.document where key != "name" { document[key] = value }
            let text = JSONWriter.prettyString(from: .object(document)) + "\n"
            if let output {
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw context.fail("cannot write \(output): \(error.localizedDescription)")
                }
                context.console.err("Exported '\(flow.name)' to \(output).\n")
            } else {
                context.console.out(text)
            }
        }
    }
}
