import Foundation

/// Who the command line acts as, for version history and run records: the system user.
enum CommandAuthor {
    static var current: String {
        let environment = ProcessInfo.processInfo.environment
        if let name = environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"], !name.isEmpty { return name }
        let account = ProcessInfo.processInfo.userName
        return account.isEmpty ? "cli" : account
    }
}
