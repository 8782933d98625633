import Foundation
import WorkFlowEngine
import WorkFlowStore

/// A backup ZIP made by ``BackupWriter``, and what went into it.
public struct BackupOutput: Sendable {
    /// The ZIP file's bytes.
    public var data: Data
    public var manifest: BackupManifest
    /// Workflow names, in name order.
    public var workflows: [String]
    /// Versions across all histories.
    public var versionCount: Int
    public var settingCount: Int
    /// `<category>/<Name>.py` of each custom module.
    public var modules: [String]
    /// Schedules in `extra/schedules.json` (0 when the section was not written).
    public var scheduleCount = 0
    /// Users in `extra/users.json` (0 when the section was not written).
    public var userCount = 0
}

/// Writes the store's workflows (live ones, with their version histories), the settings and the
/// custom modules' current sources into a ZIP in the seed's layout, which the seed can restore
/// too, and (when given their stores) the schedules and the users in sections of our own.
///
/// A module's source goes to `modules/<category>/<Name>.py`, where the seed's `mod/` kept it; its
/// older versions stay in the database (a restore gives a new module version 1).
public struct BackupWriter: Sendable {
    let flows: any FlowStore
    let settings: any SettingsStore
    /// The custom modules; `nil` backs up none.
    let modules: (any BackupModuleSources)?
    let schedules: (any ScheduleStore)?
    let users: (any AuthStore)?
    /// Whether `extra/users.json` carries the users' bcrypt password hashes, so that restored
    /// users sign in with their passwords. Off by default: a backup file then holds no credential.
    let includePasswordHashes: Bool

    public init(
        flows: any FlowStore, settings: any SettingsStore, modules: (any BackupModuleSources)?, schedules: (any ScheduleStore)? = nil,
        users: (any AuthStore)? = nil, includePasswordHashes: Bool = false
    ) {
        self.flows = flows
        self.settings = settings
        self.modules = modules
        self.schedules = schedules
        self.users = users
        self.includePasswordHashes = includePasswordHashes
    }

    /// Reads everything and packs it; `createdBy` and `date` go into `backup.json`.
    public func write(createdBy: String, at date: Date) async throws(BackupError) -> BackupOutput {
        var files: [(path: String, data: Data)] = []
        let stored = try await liveFlows()
        var versionCount = 0
        for flow in stored {
            let entry: JSONObject = ["flow_name": .string(flow.name), "enabled": .bool(flow.enabled), "procedures": .object(flow.document)]
            files.append((BackupLayout.workflowEntry(for: flow.name), JSONWriter.data(from: .object(entry), pretty: true)))
        }
        for flow in stored {
            let versions = try await BackupError.storing { () async throws(StoreError) in try await flows.versions(of: flow.name) }
            versionCount += versions.count
            let history: JSONObject = [
                "flow_name": .string(flow.name),
                "versions": .array(versions.sorted { $0.number < $1.number }.map(Self.json)),
            ]
            files.append((BackupLayout.versionsEntry(for: flow.name), JSONWriter.data(from: .object(history), pretty: true)))
        }
        var moduleNames: [String] = []
        if let modules {
            for module in try await BackupError.reading({ try await modules.storedModules() }) where !modules.isBuiltIn(module.qualifiedName) {
                let relativePath = "\(module.category)/\(module.name).py"
                files.append(("\(BackupLayout.modulesFolder)/\(relativePath)", Data(module.source.utf8)))
                moduleNames.append(relativePath)
            }
        }
        let values = try await BackupError.storing { () async throws(StoreError) in try await settings.settings() }
        var settingsObject: JSONObject = [:]
        for key in values.keys.sorted() { settingsObject[key] = values[key] }
        files.append((BackupLayout.settingsPath, JSONWriter.data(from: .object(settingsObject), pretty: true)))

        var extraSections: [ExtraSection: Int] = [.versions: ExtraSection.versions.formatVersion]
        var scheduleCount = 0
        if let schedules {
            let live = Set(stored.map(\.name))
            let list = try await BackupError.storing { () async throws(StoreError) in try await schedules.listSchedules(flowName: nil) }
                .filter { live.contains($0.flowName) }
                .sorted { ($0.flowName, $0.name) < ($1.flowName, $1.name) }
            files.append((BackupLayout.schedulesEntry, JSONWriter.data(from: ["schedules": .array(list.map(Self.json))], pretty: true)))
            extraSections[.schedules] = ExtraSection.schedules.formatVersion
            scheduleCount = list.count
        }
        var userCount = 0
        if let users {
            var list: [JSONValue] = []
            for user in try await BackupError.storing({ () async throws(StoreError) in try await users.users() }).sorted(by: { $0.username < $1.username }) {
                var hash: String?
                if includePasswordHashes {
                    hash = try await BackupError.storing { () async throws(StoreError) in try await users.credentials(username: user.username)?.passwordHash }
                }
                list.append(Self.json(user, passwordHash: hash))
            }
            files.append((BackupLayout.usersEntry, JSONWriter.data(from: ["users": .array(list)], pretty: true)))
            extraSections[.users] = ExtraSection.users.formatVersion
            userCount = list.count
        }

        let manifest = BackupManifest(
            createdAt: BackupTime.string(date), createdBy: createdBy, sections: [.workflows, .modules, .settings],
            extraSections: extraSections)
        // Written last, as the seed did.
        files.append((BackupLayout.manifestPath, JSONWriter.data(from: manifest.json, pretty: true)))
        let data: Data
        do {
            data = try ZIPEntries.pack(files, modified: date)
        } catch {
            throw .file(path: "(backup)", message: "cannot build the ZIP: \(error)")
        }
        return BackupOutput(
            data: data, manifest: manifest, workflows: stored.map(\.name), versionCount: versionCount,
            settingCount: settingsObject.count, modules: moduleNames, scheduleCount: scheduleCount, userCount: userCount)
    }

    /// Every live workflow, in name order, read page by page.
    private func liveFlows() async throws(BackupError) -> [StoredFlow] {
        let pageSize = 500
        var all: [StoredFlow] = []
        while true {
            let offset = all.count
            let page = try await BackupError.storing { () async throws(StoreError) in
                try await flows.listFlows(FlowQuery(limit: pageSize, offset: offset))
            }
            all += page
            if page.count < pageSize { return all }
        }
    }

    /// A schedule as `extra/schedules.json` holds it.
    static func json(_ schedule: StoredSchedule) -> JSONValue {
        [
            "flow_name": .string(schedule.flowName), "name": .string(schedule.name), "cron": .string(schedule.settings.cron),
            "timezone": .string(schedule.settings.timeZone), "enabled": .bool(schedule.settings.enabled),
            "overlap": .string(schedule.settings.overlap.rawValue), "misfire": .string(schedule.settings.misfire.rawValue),
        ]
    }

    /// A user as `extra/users.json` holds it; `display_name` and `email` when set, `password_hash`
    /// only when given.
    static func json(_ user: StoredUser, passwordHash: String?) -> JSONValue {
        var object: JSONObject = ["username": .string(user.username), "is_admin": .bool(user.isAdmin), "enabled": .bool(user.enabled)]
        if let name = user.displayName { object["display_name"] = .string(name) }
        if let email = user.email { object["email"] = .string(email) }
        if let passwordHash { object["password_hash"] = .string(passwordHash) }
        return .object(object)
    }

    /// A version as `extra/versions/<name>.json` holds it.
    static func json(_ version: FlowVersion) -> JSONValue {
        [
            "number": .int(version.number),
            "created_at": .string(BackupTime.string(version.createdAt)),
            "author": version.author.map(JSONValue.string) ?? .null,
            "comment": version.comment.map(JSONValue.string) ?? .null,
            "document": .object(version.document),
        ]
    }
}
