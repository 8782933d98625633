/// Where things live inside a backup ZIP. The seed's layout (`workflows/`, `modules/`,
/// `settings.json`, `accounts.json`, `backup.json`) plus our own sections under `extra/`, which
/// the seed's restore ignores.
public enum BackupLayout {
    public static let manifestPath = "backup.json"
    public static let settingsPath = "settings.json"
    /// Users, groups and roles in the seed's UI backups (Django serializer format).
    public static let accountsPath = "accounts.json"
    public static let workflowsFolder = "workflows"
    public static let modulesFolder = "modules"
    /// Our sections, one folder each: `extra/<section>/...`.
    public static let extraFolder = "extra"

    /// The version of our additions that this build writes, and the newest it reads.
    public static let formatVersion = 1

    /// `workflows/<name>.json`, with the characters that cannot appear in one path component escaped.
    public static func workflowEntry(for flowName: String) -> String {
        "\(workflowsFolder)/\(fileName(for: flowName)).json"
    }

    /// `extra/versions/<name>.json`: a workflow's version history.
    public static func versionsEntry(for flowName: String) -> String {
        "\(extraFolder)/\(ExtraSection.versions.rawValue)/\(fileName(for: flowName)).json"
    }

    /// `extra/schedules.json`: every workflow's cron schedules.
    public static let schedulesEntry = "\(extraFolder)/\(ExtraSection.schedules.rawValue).json"
    /// `extra/users.json`: the users, with password hashes only when asked for.
    public static let usersEntry = "\(extraFolder)/\(ExtraSection.users.rawValue).json"

    /// The flow name as one safe path component: `%`, `/`, `\`, control characters, `:` and a
    /// leading `.` are percent-encoded. Restores read the name inside the entry, never this one.
    static func fileName(for flowName: String) -> String {
        var out = ""
        for (offset, scalar) in flowName.unicodeScalars.enumerated() {
            let escaped =
                scalar == "%" || scalar == "/" || scalar == "\\" || scalar == ":" || scalar.value < 0x20 || scalar.value == 0x7F
                || (offset == 0 && scalar == ".")
            if escaped {
                for byte in String(scalar).utf8 {
                    out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The sections the seed knows, as listed in `backup.json`'s `sections`.
public enum SeedSection: String, Sendable, CaseIterable {
    case workflows, modules, settings
    /// Users, groups and roles with Django password hashes. Accepted, never restored.
    case accounts
}

/// Our sections, listed in `backup.json`'s `extra_sections` with their format version.
public enum ExtraSection: String, Sendable, CaseIterable {
    /// Every workflow's version history: `extra/versions/<name>.json`.
    case versions
    /// Every workflow's cron schedules: `extra/schedules.json`.
    case schedules
    /// The users (names, roles, enabled; password hashes only when asked for): `extra/users.json`.
    /// API keys and sessions are never in a backup.
    case users

    /// The newest format of this section that this build reads (and the one it writes).
    public var formatVersion: Int {
        switch self {
        case .versions, .schedules, .users: 1
        }
    }
}

/// Checks of entry paths: an entry must name a file strictly inside the folder it is unpacked
/// into ("zip slip" is an entry such as `../../etc/cron.d/x` that escapes it).
enum EntryPath {
    /// Why `path` is not a safe relative path, or `nil` when it is. Directory entries end in `/`.
    static func problem(_ path: String) -> String? {
        if path.isEmpty { return "the entry has an empty path" }
        if path.hasPrefix("/") { return "absolute paths are not allowed" }
        if path.contains("\\") { return "backslashes are not allowed in entry paths" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "control characters are not allowed in entry paths"
        }
        let parts = components(path)
        if let first = parts.first, first.count == 2, first.hasSuffix(":") {
            return "drive letters are not allowed in entry paths"
        }
        if parts.contains("..") { return "'..' is not allowed in entry paths (it could escape the folder)" }
        if parts.contains(".") || parts.contains("") { return "empty or '.' path components are not allowed" }
        return nil
    }

    /// The path's components, without the trailing `/` of a directory entry.
    static func components(_ path: String) -> [String] {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
