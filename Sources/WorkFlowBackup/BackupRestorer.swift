import Foundation
import WorkFlowEngine
import WorkFlowStore

/// What a restore does to one workflow, setting or module.
public enum RestoreChange: String, Sendable, Hashable {
    case create, update, unchanged
    /// Left out on purpose (a module WorkFlow has built in, a copy, a helper file).
    case skip
}

/// One thing a restore writes, or would write.
public struct RestoreItem: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case workflow, setting, module, schedule, user
    }

    public var kind: Kind
    /// The workflow's name, the setting's key, the module's `<category>/<file>`, the schedule's
    /// `<workflow>/<name>`, or the user's name.
    public var name: String
    /// The archive entry it comes from.
    public var entry: String
    public var change: RestoreChange
    /// `with 4 versions`, `as version 7`, `built into WorkFlow`, a module's problem.
    public var detail: String?
}

/// Everything a restore will do, worked out against the store before anything is written.
public struct RestorePlan: Sendable {
    public var items: [RestoreItem]
    /// Sections in the backup that are never restored (the seed's `accounts`).
    public var ignoredSections: [SeedSection]
    let archive: BackupArchive

    public func items(_ kind: RestoreItem.Kind, _ change: RestoreChange) -> [RestoreItem] {
        items.filter { $0.kind == kind && $0.change == change }
    }
}

/// What a restore did: the plan, and the writes that failed (each naming its entry). Nothing
/// failed when `failures` is empty.
public struct RestoreResult: Sendable {
    public var plan: RestorePlan
    public var failures: [BackupProblem]
}

/// Applies a validated ``BackupArchive`` to the store and the module library.
///
/// The rules:
/// - A workflow that does not exist is created with the backup's `enabled`. With a version
///   history in the backup, the history comes along as it was (numbers, authors, comments,
///   times); otherwise it starts at version 1 with the comment `restored from backup <source>`.
/// - A workflow that exists gets the backup's document as a new version with that comment, or
///   nothing when the documents are equal. Its history and `enabled` stay as they are, as in the
///   seed's restore: an imported history would clash with the versions it already has.
/// - Every setting in the backup is written; settings it does not hold stay.
/// - Each custom module source is saved through the module library: a new module, a new version
///   when it differs from the stored one, or nothing. The seed's own modules (WorkFlow has them
///   built in), copies such as `Http 2.py` and helper files such as `_util.py` are left out.
///   Modules are saved before the workflows that call them.
/// - A schedule that does not exist is created; one that exists takes the backup's settings.
/// - A user who does not exist is created with the backup's role, enabled flag and password hash;
///   without a hash (the default when backing up) they cannot sign in until an administrator
///   sets a password. Users who exist are left as they are (password, role and all).
/// - Workflows, settings, modules, schedules and users that are not in the backup are left alone.
///
/// Everything the backup holds was validated when it was read (module sources too, by the module
/// library), so a write can only fail for a reason outside it (the database, the disk, a workflow
/// created meanwhile). Each workflow and module is written in its own transaction; a failure is
/// reported with its entry and the others go on.
public struct BackupRestorer: Sendable {
    let flows: any FlowStore & FlowImportStore
    let settings: any SettingsStore
    let modules: any BackupModuleSources
    /// Where schedules and users go; without them those sections are listed as skipped.
    let schedules: (any ScheduleStore)?
    let users: (any AuthStore)?
    let now: @Sendable () -> Date

    /// A password hash no password matches: a restored user without one cannot sign in until an
    /// administrator sets a password.
    public static let noPassword = "!"

    public init(
        flows: any FlowStore & FlowImportStore, settings: any SettingsStore, modules: any BackupModuleSources,
        schedules: (any ScheduleStore)? = nil, users: (any AuthStore)? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.flows = flows
        self.settings = settings
        self.modules = modules
        self.schedules = schedules
        self.users = users
        self.now = now
    }

    /// Works out what restoring `archive` changes, reading but never writing.
    /// Modules come first, as they are written first.
    public func plan(_ archive: BackupArchive) async throws(BackupError) -> RestorePlan {
        var items = try await planModules(archive)
        for workflow in archive.workflows {
            let existing = try await BackupError.storing { () async throws(StoreError) in try await flows.flow(named: workflow.name) }
            let item: RestoreItem
            switch existing {
            case nil:
                let versions = Self.importedVersions(workflow, archive.histories[workflow.name], author: nil, comment: "", at: now())
                let detail = versions.count == 1 ? "version 1" : "with \(versions.count) versions"
                item = RestoreItem(kind: .workflow, name: workflow.name, entry: workflow.entry, change: .create, detail: detail)
            case let flow? where flow.deleted:
                // Only a deleted workflow's `..._deleted` name can match, and a backup never holds one.
                item = RestoreItem(
                    kind: .workflow, name: workflow.name, entry: workflow.entry, change: .skip, detail: "the name belongs to a deleted workflow")
            case let flow? where flow.document == workflow.document:
                item = RestoreItem(
                    kind: .workflow, name: workflow.name, entry: workflow.entry, change: .unchanged, detail: "version \(flow.currentVersion)")
            case let flow?:
                item = RestoreItem(
                    kind: .workflow, name: workflow.name, entry: workflow.entry, change: .update,
                    detail: "as version \(flow.currentVersion + 1)")
            }
            items.append(item)
        }
        if let backupSettings = archive.settings {
            let current = try await BackupError.storing { () async throws(StoreError) in try await settings.settings() }
            for (key, value) in backupSettings {
                let change: RestoreChange = current[key] == nil ? .create : current[key] == value ? .unchanged : .update
                items.append(RestoreItem(kind: .setting, name: key, entry: BackupLayout.settingsPath, change: change))
            }
        }
        items += try await planSchedules(archive)
        items += try await planUsers(archive)
        return RestorePlan(items: items, ignoredSections: archive.ignoredSections, archive: archive)
    }

    private func planModules(_ archive: BackupArchive) async throws(BackupError) -> [RestoreItem] {
        guard !archive.modules.isEmpty else { return [] }
        let stored = try await BackupError.reading { try await modules.storedModules() }
        let byName = Dictionary(stored.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { first, _ in first })
        return archive.modules.map { module in
            var change: RestoreChange
            var detail: String?
            if let reason = module.skipReason {
                change = .skip
                detail = reason
            } else {
                switch byName[module.moduleName] {
                case nil:
                    (change, detail) = (.create, "version 1")
                case let current? where current.source == module.source:
                    (change, detail) = (.unchanged, "version \(current.currentVersion)")
                case let current?:
                    (change, detail) = (.update, "as version \(current.currentVersion + 1)")
                }
                if change != .unchanged, case .broken(let problem)? = module.check?.outcome {
                    detail = (detail ?? "") + "; saved with a problem, steps cannot call it until it is fixed: \(problem)"
                }
            }
            return RestoreItem(kind: .module, name: module.relativePath, entry: module.entry, change: change, detail: detail)
        }
    }

    private func planSchedules(_ archive: BackupArchive) async throws(BackupError) -> [RestoreItem] {
        guard !archive.schedules.isEmpty else { return [] }
        let entry = BackupLayout.schedulesEntry
        guard let schedules else {
            return archive.schedules.map { RestoreItem(kind: .schedule, name: "\($0.flowName)/\($0.name)", entry: entry, change: .skip, detail: "not restored here") }
        }
        let existing = try await BackupError.storing { () async throws(StoreError) in try await schedules.listSchedules(flowName: nil) }
        let byKey = Dictionary(existing.map { ("\($0.flowName)/\($0.name)", $0) }, uniquingKeysWith: { first, _ in first })
        return archive.schedules.map { schedule in
            let key = "\(schedule.flowName)/\(schedule.name)"
            let change: RestoreChange =
                switch byKey[key] {
                case nil: .create
                case let current? where current.settings == schedule.settings: .unchanged
                case _?: .update
                }
            return RestoreItem(kind: .schedule, name: key, entry: entry, change: change, detail: "\(schedule.settings.cron) (\(schedule.settings.timeZone))")
        }
    }

    private func planUsers(_ archive: BackupArchive) async throws(BackupError) -> [RestoreItem] {
        guard !archive.users.isEmpty else { return [] }
        let entry = BackupLayout.usersEntry
        guard let users else {
            return archive.users.map { RestoreItem(kind: .user, name: $0.username, entry: entry, change: .skip, detail: "not restored here") }
        }
        let existing = Set(try await BackupError.storing { () async throws(StoreError) in try await users.users() }.map(\.username))
        return archive.users.map { user in
            if existing.contains(user.username) {
                return RestoreItem(kind: .user, name: user.username, entry: entry, change: .unchanged, detail: "exists; left as it is")
            }
            let detail =
                user.passwordHash == nil
                ? "without a password: set one with `workflow user passwd \(user.username)`" : "with the password it had"
            return RestoreItem(kind: .user, name: user.username, entry: entry, change: .create, detail: detail)
        }
    }

    /// Carries out `plan`. `source` names the backup in version comments
    /// (`restored from backup <source>`); `author` is recorded on every version written.
    public func apply(_ plan: RestorePlan, author: String?, source: String) async -> RestoreResult {
        await apply(plan, author: author, comment: "restored from backup \(source)")
    }

    /// Carries out `plan`, with `comment` on every version written (of workflows and modules) and
    /// `author` on every version (modules saved without one are by `restore`).
    public func apply(_ plan: RestorePlan, author: String?, comment: String) async -> RestoreResult {
        let archive = plan.archive
        var failures = await saveModules(plan, author: author ?? "restore", comment: comment)
        let workflows = Dictionary(archive.workflows.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for item in plan.items where item.kind != .module {
            do throws(StoreError) {
                switch (item.kind, item.change) {
                case (.workflow, .create):
                    guard let workflow = workflows[item.name] else { continue }
                    let versions = Self.importedVersions(workflow, archive.histories[item.name], author: author, comment: comment, at: now())
                    _ = try await flows.importFlow(name: workflow.name, enabled: workflow.enabled, versions: versions)
                case (.workflow, .update):
                    guard let workflow = workflows[item.name] else { continue }
                    _ = try await flows.updateFlow(name: workflow.name, document: workflow.document, author: author, comment: comment)
                case (.setting, .create), (.setting, .update):
                    guard let value = archive.settings?[item.name] else { continue }
                    try await settings.setSetting(item.name, to: value)
                case (.schedule, .create), (.schedule, .update):
                    guard let schedules, let schedule = archive.schedules.first(where: { "\($0.flowName)/\($0.name)" == item.name }) else { continue }
                    if item.change == .create {
                        _ = try await schedules.createSchedule(
                            flowName: schedule.flowName, name: schedule.name, settings: schedule.settings, author: author, now: now())
                    } else {
                        _ = try await schedules.updateSchedule(
                            flowName: schedule.flowName, name: schedule.name, newName: nil, settings: schedule.settings, author: author,
                            now: now())
                    }
                case (.user, .create):
                    guard let users, let user = archive.users.first(where: { $0.username == item.name }) else { continue }
                    _ = try await users.createUser(
                        username: user.username, passwordHash: user.passwordHash ?? Self.noPassword, isAdmin: user.isAdmin, enabled: user.enabled)
                    if user.displayName != nil || user.email != nil {
                        _ = try await users.setProfile(username: user.username, displayName: user.displayName, email: user.email)
                    }
                default:
                    continue
                }
            } catch {
                let subject =
                    switch item.kind {
                    case .setting: "setting '\(item.name)': "
                    case .schedule: "schedule '\(item.name)': "
                    case .user: "user '\(item.name)': "
                    case .workflow, .module: ""
                    }
                failures.append(BackupProblem(entry: item.entry, message: subject + error.description))
            }
        }
        return RestoreResult(plan: plan, failures: failures)
    }

    /// The versions a new workflow starts with: the backup's history, plus its document as one
    /// more version when the history ends with another one (or alone, without a history).
    static func importedVersions(
        _ workflow: BackupWorkflow, _ history: BackupHistory?, author: String?, comment: String, at date: Date
    ) -> [FlowVersion] {
        var versions = history?.versions ?? []
        if versions.last?.document != workflow.document {
            versions.append(
                FlowVersion(
                    flowName: workflow.name, number: versions.count + 1, author: author, comment: comment, document: workflow.document,
                    createdAt: date))
        }
        return versions
    }

    /// Saves the plan's new and changed modules, first, so that no workflow is ever stored calling
    /// a module that is not; then has the library load them for runs. Returns the saves that failed.
    private func saveModules(_ plan: RestorePlan, author: String, comment: String) async -> [BackupProblem] {
        var failures: [BackupProblem] = []
        var saved = false
        for item in plan.items where item.kind == .module && (item.change == .create || item.change == .update) {
            guard let module = plan.archive.modules.first(where: { $0.entry == item.entry }), let check = module.check else { continue }
            do {
                _ = try await modules.save(module.moduleSource, check: check, author: author, comment: comment)
                saved = true
            } catch {
                failures.append(BackupProblem(entry: item.entry, message: "\(module.moduleName): \(error)"))
            }
        }
        if saved { await modules.reload() }
        return failures
    }
}
