import ArgumentParser
import Foundation
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow user ...`: the people who sign in to the server.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create users, change passwords and list users.",
        subcommands: [UserCreateCommand.self, UserPasswdCommand.self, UserListCommand.self]
    )
}

/// `workflow user create NAME [--admin] [--password-stdin]`
struct UserCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a user.",
        discussion: """
            The password is asked for (twice, without echo), or read from standard input with \
            --password-stdin. It needs at least \(PasswordHasher.minimumLength) characters.

            Examples:
              workflow user create alice --admin
              echo 'a long passphrase' | workflow user create ci-bot --password-stdin
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The user name: letters, digits, '_', '.', '@' or '-'.", valueName: "NAME"))
    var name: String

    @Flag(help: "Make the user an administrator (may do everything).")
    var admin = false

    @Flag(help: "Read the password from standard input instead of asking for it.")
    var passwordStdin = false

    func run() async throws {
        try await CommandContext.with(global) { context in
            let password = try context.newPassword(fromStandardInput: passwordStdin, for: name)
            let hash = try await PasswordHasher(cost: context.passwordCost).hash(password)
            let user = try await context.store.createUser(username: name, passwordHash: hash, isAdmin: admin)
            context.output(Presentation.json(user)) {
                "Created user '\(user.username)'\(user.isAdmin ? " (administrator)" : "").\n"
            }
        }
    }
}

/// `workflow user passwd NAME [--password-stdin]`
struct UserPasswdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd", abstract: "Change a user's password.",
        discussion: "Examples:\n  workflow user passwd admin\n  echo 'a new passphrase' | workflow user passwd admin --password-stdin")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The user.", valueName: "NAME"))
    var name: String

    @Flag(help: "Read the password from standard input instead of asking for it.")
    var passwordStdin = false

    func run() async throws {
        try await CommandContext.with(global) { context in
            guard try await context.store.user(named: name) != nil else { throw StoreError.userNotFound(name) }
            let password = try context.newPassword(fromStandardInput: passwordStdin, for: name)
            let hash = try await PasswordHasher(cost: context.passwordCost).hash(password)
            try await context.store.setPasswordHash(username: name, to: hash)
            context.output(["status": true, "username": .string(name)]) { "Changed the password of '\(name)'.\n" }
        }
    }
}

/// `workflow user list`
struct UserListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the users.", discussion: "Example:\n  workflow user list")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await CommandContext.with(global) { context in
            let users = try await context.store.users()
            context.output(.array(users.map { Presentation.json($0) })) {
                var table = TextTable(["USER", "ADMIN", "ENABLED", "LAST SIGN-IN"])
                for user in users {
                    table.append([user.username, user.isAdmin ? "yes" : "no", user.enabled ? "yes" : "no", context.display(user.lastLoginAt)])
                }
                return table.render(empty: "No users.")
            }
        }
    }
}

extension CommandContext {
    /// bcrypt's cost: `auth.password_cost` (`WORKFLOW_PASSWORD_COST`), 12 unless set.
    var passwordCost: UInt8 { UInt8(configuration.passwordCost) }

    /// A new password from standard input or a prompt, checked against the policy.
    func newPassword(fromStandardInput: Bool, for name: String) throws -> String {
        guard let password = PasswordInput.read(fromStandardInput: fromStandardInput, prompt: "Password for \(name): ") else {
            throw fail("no password given: use --password-stdin, or run in a terminal to be asked", code: WorkFlowCommand.invalidExitCode)
        }
        if let problem = PasswordHasher.problem(with: password) {
            throw fail(problem, code: WorkFlowCommand.invalidExitCode)
        }
        return password
    }
}
