import Foundation
import WorkFlowStore

/// Creates the first administrator when the database has no users.
///
/// The password comes from `WORKFLOW_ADMIN_PASSWORD`; without it a random one is generated,
/// printed once and written to `$WORKFLOW_HOME/initial-admin-password` (mode 0600) so that an
/// operator who missed the console can still find it.
public struct AdminBootstrap: Sendable {
    public static let username = "admin"
    public static let passwordFileName = "initial-admin-password"

    /// What happened at start-up.
    public enum Outcome: Sendable, Equatable {
        /// Users exist already; nothing was done.
        case existingUsers
        /// `admin` was created with the password from the environment.
        case createdWithGivenPassword
        /// `admin` was created with a generated password, written to the file.
        case createdWithGeneratedPassword(password: String, file: String)
    }

    let store: SQLStore
    let hasher: PasswordHasher
    let home: String

    public init(store: SQLStore, hasher: PasswordHasher, home: String) {
        self.store = store
        self.hasher = hasher
        self.home = home
    }

    public func run(givenPassword: String?) async throws -> Outcome {
        guard try await store.userCount() == 0 else { return .existingUsers }
        if let givenPassword, !givenPassword.isEmpty {
            if let problem = PasswordHasher.problem(with: givenPassword) {
                throw BootstrapError(message: "WORKFLOW_ADMIN_PASSWORD is not acceptable: \(problem)")
            }
            try await create(password: givenPassword)
            return .createdWithGivenPassword
        }
        let password = SecretTokens.random(length: 20)
        let file = URL(fileURLWithPath: home).appendingPathComponent(Self.passwordFileName).path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        // Created 0600 before anything is written, so the password is never readable by others.
        _ = FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: file))
        try await create(password: password)
        return .createdWithGeneratedPassword(password: password, file: file)
    }

    private func create(password: String) async throws {
        do {
            _ = try await store.createUser(username: Self.username, passwordHash: try await hasher.hash(password), isAdmin: true)
        } catch StoreError.userExists {
            // Another node created it at the same moment; theirs stands.
        }
    }
}

public struct BootstrapError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
