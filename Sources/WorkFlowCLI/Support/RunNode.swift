import Foundation

/// Identifies the process that owns a run (`host:pid`), so a later process can tell whether the
/// owner is gone and close its runs as interrupted.
enum RunNode {
    static var current: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Whether `node` names a process on this host that no longer exists.
    static func isDeadLocalProcess(_ node: String) -> Bool {
        guard let colon = node.lastIndex(of: ":"), String(node[..<colon]) == ProcessInfo.processInfo.hostName,
            let pid = Int32(node[node.index(after: colon)...])
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
