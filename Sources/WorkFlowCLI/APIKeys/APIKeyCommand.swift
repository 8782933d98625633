import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow apikey ...`: keys that scripts use to call the API.
struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey",
        abstract: "Create, list, enable, disable and delete API keys.",
        discussion: """
            A key acts as the user who owns it. Send it as 'X-Api-Key: KEY' or \
            'Authorization: Bearer KEY'. The key is shown once, when it is created; only its hash \
            is stored.
            """,
        subcommands: [
            APIKeyCreateCommand.self, APIKeyListCommand.self, APIKeyEnableCommand.self, APIKeyDisableCommand.self,
            APIKeyDeleteCommand.self,
        ]
    )
}

/// `workflow apikey create NAME [--user U]`
struct APIKeyCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an API key; the key is printed on the last line, once.",
        discussion: """
            Examples:
              workflow apikey create deploy-bot
              KEY=$(workflow apikey create nightly --user ci | tail -n 1)
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("A name for the key.", valueName: "NAME"))
    var name: String

    @Option(help: ArgumentHelp("The user the key acts as.", valueName: "USER"))
    var user = "admin"

    func run() async throws {
        try await CommandContext.with(global) { context in
            guard let owner = try await context.store.user(named: user) else {
                throw context.fail("user '\(user)' does not exist; create it with: workflow user create \(user)")
            }
            let generated = APIKeyFormat.generate()
            let key = try await context.store.createAPIKey(name: name, prefix: generated.prefix, keyHash: generated.hash, userID: owner.id)
            guard case .object(var row) = Presentation.json(key) else { return }
            row["key"] = .string(generated.plain)
            context.output(.object(row)) {
                "Created API key '\(key.name)' for '\(owner.username)'. Keep it now; it is not shown again:\n\(generated.plain)\n"
            }
        }
    }
}

/// `workflow apikey list`
struct APIKeyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the API keys (never the keys themselves).", discussion: "Example:\n  workflow apikey list")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await CommandContext.with(global) { context in
            let keys = try await context.store.apiKeys()
            context.output(.array(keys.map { Presentation.json($0) })) {
                var table = TextTable(["NAME", "PREFIX", "USER", "ENABLED", "CREATED", "LAST USED"])
                for key in keys {
                    table.append([
                        key.name, "wfk_\(key.prefix)_…", key.username, key.enabled ? "yes" : "no", context.display(key.createdAt),
                        context.display(key.lastUsedAt),
                    ])
                }
                return table.render(empty: "No API keys.")
            }
        }
    }
}

/// `workflow apikey enable NAME`
struct APIKeyEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable", abstract: "Let a disabled API key work again.", discussion: "Example:\n  workflow apikey enable deploy-bot")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The key's name.", valueName: "NAME")) var name: String

    func run() async throws {
        try await APIKeyRows.setEnabled(true, name: name, global: global)
    }
}

/// `workflow apikey disable NAME`
struct APIKeyDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Stop an API key from working, without deleting it.",
        discussion: "Example:\n  workflow apikey disable deploy-bot")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The key's name.", valueName: "NAME")) var name: String

    func run() async throws {
        try await APIKeyRows.setEnabled(false, name: name, global: global)
    }
}

/// `workflow apikey delete NAME`
struct APIKeyDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete an API key for good.", discussion: "Example:\n  workflow apikey delete deploy-bot")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The key's name.", valueName: "NAME")) var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            try await context.store.deleteAPIKey(name: name)
            context.output(["status": true, "name": .string(name), "deleted": true]) { "Deleted API key '\(name)'.\n" }
        }
    }
}

enum APIKeyRows {
    static func setEnabled(_ enabled: Bool, name: String, global: GlobalOptions) async throws {
        try await CommandContext.with(global) { context in
            try await context.store.setAPIKeyEnabled(name: name, enabled)
            context.output(["status": true, "name": .string(name), "enabled": .bool(enabled)]) {
                "API key '\(name)' is \(enabled ? "enabled" : "disabled").\n"
            }
        }
    }
}
