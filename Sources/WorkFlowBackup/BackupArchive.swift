import Foundation
import WorkFlowEngine
import WorkFlowStore

/// A workflow in a backup: `workflows/<name>.json`, `{"flow_name", "enabled", "procedures"}`,
/// where `procedures` is the whole document (the seed's shape).
public struct BackupWorkflow: Sendable, Hashable {
    /// The entry it was read from.
    public var entry: String
    public var name: String
    public var enabled: Bool
    public var document: JSONObject

    public init(entry: String, name: String, enabled: Bool, document: JSONObject) {
        self.entry = entry
        self.name = name
        self.enabled = enabled
        self.document = document
    }
}

/// A workflow's version history in a backup (`extra/versions/<name>.json`), oldest first.
public struct BackupHistory: Sendable, Hashable {
    public var entry: String
    public var flowName: String
    public var versions: [FlowVersion]
}

/// A workflow's cron schedule in a backup (`extra/schedules.json`).
public struct BackupSchedule: Sendable, Hashable {
    public var flowName: String
    public var name: String
    public var settings: ScheduleSettings
}

/// A user in a backup (`extra/users.json`). Without a password hash a restored user cannot sign
/// in until an administrator sets a password.
public struct BackupUser: Sendable, Hashable {
    public var username: String
    public var isAdmin: Bool
    public var enabled: Bool
    public var passwordHash: String?
    public var displayName: String? = nil
    public var email: String? = nil
}

/// A custom module source in a backup: `modules/<category>/<file>.py`.
public struct BackupModuleFile: Sendable, Hashable {
    /// The entry (or, for a seed installation, the file) it was read from.
    public var entry: String
    public var category: String
    public var fileName: String
    /// The text, with `\n` line ends (the module library saves it so).
    public var source: String
    /// Why the file is left out: one of the seed's own modules (WorkFlow has them built in), a copy
    /// such as `Http 2.py`, a helper such as `_util.py`, or a name the module store cannot hold.
    /// `nil` for a module that is restored.
    public var skipReason: String?
    /// What checking the source found; `nil` for a file left out.
    public var check: ModuleCheck?

    public init(entry: String, category: String, fileName: String, source: String, skipReason: String?, check: ModuleCheck? = nil) {
        self.entry = entry
        self.category = category
        self.fileName = fileName
        self.source = source
        self.skipReason = skipReason
        self.check = check
    }

    /// `<category>/<file>`, as the seed's `mod/` folder held it.
    public var relativePath: String { "\(category)/\(fileName)" }
    /// The class name: the file name without `.py`.
    public var name: String { String(fileName.dropLast(3)) }
    /// `category.Name`, as workflows call it.
    public var moduleName: String { "\(category).\(name)" }
    var moduleSource: ModuleSource { ModuleSource(category: category, name: name, source: source) }
}

/// A backup ZIP, read and checked as a whole before anything is restored from it.
public struct BackupArchive: Sendable {
    public var manifest: BackupManifest
    /// In entry order.
    public var workflows: [BackupWorkflow]
    /// Histories by workflow name.
    public var histories: [String: BackupHistory]
    /// `nil` when the backup has no settings section.
    public var settings: JSONObject?
    /// Every module file, the ones left out included (each says why).
    public var modules: [BackupModuleFile]
    /// In the order of `extra/schedules.json`.
    public var schedules: [BackupSchedule] = []
    /// In the order of `extra/users.json`.
    public var users: [BackupUser] = []
    /// Sections present that are never restored (the seed's `accounts`).
    public var ignoredSections: [SeedSection]

    /// Reads and validates `data`. Every problem is reported at once, each naming its entry:
    /// not a ZIP, over the ``BackupLimits``, no `backup.json`, paths that could escape the folder
    /// they are unpacked into, unknown sections, module sources that `modules` refuses (a syntax
    /// error, with its line and column), and workflow documents that do not validate against
    /// `registry`. Steps may call the stored custom modules and the modules the backup ships, which
    /// are validated as the backup's sources describe them.
    public static func read(
        _ data: Data, registry: ModuleRegistry, modules: any BackupModuleSources, limits: BackupLimits = .standard
    ) async throws(BackupError) -> BackupArchive {
        let unpacked = ZIPEntries.unpack(data, limits: limits)
        if let fatal = unpacked.fatal {
            throw .invalidArchive([fatal])
        }
        var reader = ArchiveReader(modules: modules)
        reader.problems = unpacked.problems
        reader.parse(unpacked.entries)
        return try await reader.finish(registry: registry, order: unpacked.order)
    }

    /// `problems` sorted by their entry's place in the archive; problems of the archive as a
    /// whole and of entries it lacks (`backup.json`) first. Each entry's own problems keep their order.
    static func inArchiveOrder(_ problems: [BackupProblem], order: [String]) -> [BackupProblem] {
        var position: [String: Int] = [:]
        for (index, path) in order.enumerated() where position[path] == nil { position[path] = index }
        return problems.enumerated().sorted { a, b in
            let (pa, pb) = (a.element.entry.flatMap { position[$0] } ?? -1, b.element.entry.flatMap { position[$0] } ?? -1)
            return pa != pb ? pa < pb : a.offset < b.offset
        }.map(\.element)
    }
}

/// The checks of ``BackupArchive/read(_:registry:modules:limits:)``: ``parse(_:)`` sorts the
/// entries into sections (a seed installation fills them from its files instead), then
/// ``finish(registry:order:)`` checks the module sources and validates the rest against them.
struct ArchiveReader {
    let modules: any BackupModuleSources
    var problems: [BackupProblem] = []
    var manifest: BackupManifest?
    var workflows: [(path: String, value: JSONObject)] = []
    var histories: [UnpackedEntry] = []
    var scheduleEntry: UnpackedEntry?
    var userEntry: UnpackedEntry?
    var moduleFiles: [BackupModuleFile] = []
    var settings: JSONObject?
    var ignored: [SeedSection] = []

    init(modules: any BackupModuleSources) {
        self.modules = modules
    }

    mutating func problem(_ entry: String?, _ message: String, line: Int? = nil, column: Int? = nil) {
        problems.append(BackupProblem(entry: entry, message: message, line: line, column: column))
    }

    /// Sorts the ZIP's entries into the sections, checking each entry's place and JSON.
    mutating func parse(_ entries: [UnpackedEntry]) {
        let manifest = readManifest(entries)
        self.manifest = manifest

        for entry in entries where entry.path != BackupLayout.manifestPath {
            let parts = EntryPath.components(entry.path)
            let top = parts[0]
            // A folder of its own (`workflows/`) says nothing; the files inside it are checked.
            let isFolderOnly = entry.isDirectory && parts.count == 1
            switch top {
            case BackupLayout.settingsPath where !entry.isDirectory:
                guard requireListed(.settings, entry.path, manifest) else { continue }
                switch parseJSON(entry) {
                case .object(let object)?: settings = object
                case nil: break
                case let other?: problem(entry.path, "expected a JSON object of setting names and values, got \(ParameterReader.describe(other))")
                }
            case BackupLayout.accountsPath where !entry.isDirectory:
                guard requireListed(.accounts, entry.path, manifest) else { continue }
                if !ignored.contains(.accounts) { ignored.append(.accounts) }
            case BackupLayout.workflowsFolder:
                if entry.isDirectory { continue }
                guard requireListed(.workflows, entry.path, manifest) else { continue }
                guard entry.path.hasSuffix(".json") else {
                    problem(entry.path, "expected workflows/<name>.json")
                    continue
                }
                guard let value = parseJSON(entry) else { continue }
                guard case .object(let object) = value else {
                    problem(entry.path, "expected a JSON object {\"flow_name\", \"enabled\", \"procedures\"}")
                    continue
                }
                workflows.append((entry.path, object))
            case BackupLayout.modulesFolder:
                if entry.isDirectory { continue }
                guard requireListed(.modules, entry.path, manifest) else { continue }
                if let module = readModule(entry, parts: parts) { moduleFiles.append(module) }
            case BackupLayout.extraFolder:
                if isFolderOnly { continue }
                // A section is a folder (`extra/versions/`) or one file (`extra/schedules.json`).
                let sectionName = parts.count == 2 && !entry.isDirectory && parts[1].hasSuffix(".json") ? String(parts[1].dropLast(5)) : parts.count >= 2 ? parts[1] : ""
                guard parts.count >= 2, let section = ExtraSection(rawValue: sectionName) else {
                    let name = parts.count >= 2 ? "extra/\(parts[1])" : "extra"
                    problem(entry.path, "unknown section '\(name)' (this WorkFlow knows: \(Self.extraNames))")
                    continue
                }
                if let manifest, manifest.extraSections[section] == nil {
                    problem(entry.path, "section '\(section.rawValue)' is not listed in backup.json's extra_sections")
                    continue
                }
                if entry.isDirectory { continue }
                switch section {
                case .versions:
                    guard parts.count == 3 else {
                        problem(entry.path, "expected extra/versions/<name>.json")
                        continue
                    }
                    histories.append(entry)
                case .schedules:
                    guard entry.path == BackupLayout.schedulesEntry else {
                        problem(entry.path, "expected \(BackupLayout.schedulesEntry)")
                        continue
                    }
                    scheduleEntry = entry
                case .users:
                    guard entry.path == BackupLayout.usersEntry else {
                        problem(entry.path, "expected \(BackupLayout.usersEntry)")
                        continue
                    }
                    userEntry = entry
                }
            default:
                problem(entry.path, "unknown section '\(top)' (a backup holds backup.json, settings.json, accounts.json, workflows/, modules/ and extra/)")
            }
        }
    }

    /// Checks the module sources together, then validates the workflows (against the registry,
    /// the stored custom modules and the checked sources), histories, schedules and users, and
    /// throws every problem found, in `order`, or returns the archive.
    mutating func finish(registry: ModuleRegistry, order: [String]) async throws(BackupError) -> BackupArchive {
        let modules = self.modules
        do throws(BackupError) {
            let stored = try await BackupError.reading { try await modules.storedModules() }
            await checkModules()
            return try validate(registry: registry, storedModules: Set(stored.map(\.qualifiedName)))
        } catch {
            guard case .invalidArchive(let problems) = error else { throw error }
            throw .invalidArchive(BackupArchive.inArchiveOrder(problems, order: order))
        }
    }

    /// Asks the library about every module that is to be restored, in one go (they may import
    /// one another). A source it refuses is a problem of its entry, with the line and column.
    private mutating func checkModules() async {
        let indices = moduleFiles.indices.filter { moduleFiles[$0].skipReason == nil }
        guard !indices.isEmpty else { return }
        let sources = indices.map { moduleFiles[$0].moduleSource }
        let checks: [ModuleCheck]
        do {
            checks = try await modules.check(sources)
        } catch {
            for index in indices { problem(moduleFiles[index].entry, "cannot be checked: \(error)") }
            return
        }
        for (index, check) in zip(indices, checks) {
            moduleFiles[index].check = check
            if case .refused(let message, let line, let column) = check.outcome {
                problem(moduleFiles[index].entry, message, line: line, column: column)
            }
        }
    }

    private mutating func validate(registry: ModuleRegistry, storedModules: Set<String>) throws(BackupError) -> BackupArchive {
        // Steps calling a module the backup ships are checked against the backup's source, not
        // the stored one it replaces; a module that cannot be called yet (an import that fails
        // on this node) is accepted by name, as a stored one is.
        let restored = moduleFiles.filter { $0.skipReason == nil }
        let shipped = Set(restored.map(\.moduleName))
        var checked = ModuleRegistry(registry.names.filter { !shipped.contains($0) }.compactMap { registry.module(named: $0) })
        for module in restored {
            if case .callable(let descriptor)? = module.check?.outcome {
                checked.register(DescribedModule(descriptor: ModuleDescriptor(
                    name: module.moduleName, doc: descriptor.doc, methods: descriptor.methods,
                    checksParameterTypes: descriptor.checksParameterTypes)))
            }
        }
        let byName = storedModules.union(shipped)
        var named: [String: BackupWorkflow] = [:]
        var ordered: [BackupWorkflow] = []
        for (path, object) in workflows {
            guard let workflow = readWorkflow(path, object, registry: checked, customModules: byName) else { continue }
            if let other = named[workflow.name] {
                problem(path, "workflow '\(workflow.name)' is also in \(other.entry)")
                continue
            }
            named[workflow.name] = workflow
            ordered.append(workflow)
        }
        var historyByName: [String: BackupHistory] = [:]
        for entry in histories {
            guard let history = readHistory(entry) else { continue }
            if let other = historyByName[history.flowName] {
                problem(entry.path, "the history of '\(history.flowName)' is also in \(other.entry)")
            } else if named[history.flowName] == nil {
                problem(entry.path, "history of workflow '\(history.flowName)', which the backup does not hold")
            } else {
                historyByName[history.flowName] = history
            }
        }

        let schedules = scheduleEntry.map { readSchedules($0, workflows: Set(named.keys)) } ?? []
        let users = userEntry.map { readUsers($0) } ?? []

        guard problems.isEmpty, let manifest else {
            throw .invalidArchive(problems)
        }
        return BackupArchive(
            manifest: manifest, workflows: ordered, histories: historyByName, settings: settings, modules: moduleFiles,
            schedules: schedules, users: users, ignoredSections: ignored)
    }

    static let extraNames = ExtraSection.allCases.map(\.rawValue).joined(separator: ", ")

    // MARK: - Entries

    private mutating func readManifest(_ entries: [UnpackedEntry]) -> BackupManifest? {
        guard let entry = entries.first(where: { $0.path == BackupLayout.manifestPath && !$0.isDirectory }) else {
            problems.append(.missingManifest)
            return nil
        }
        guard let value = parseJSON(entry) else { return nil }
        let (manifest, manifestProblems) = BackupManifest.read(value)
        for message in manifestProblems { problem(entry.path, message) }
        return manifest
    }

    /// Whether the manifest lists `section`; a problem when it does not. Without a manifest
    /// (already a problem) the entry is checked anyway, to report everything at once.
    private mutating func requireListed(_ section: SeedSection, _ path: String, _ manifest: BackupManifest?) -> Bool {
        guard let manifest, !manifest.sections.contains(section) else { return true }
        problem(path, "section '\(section.rawValue)' is not listed in backup.json's sections")
        return false
    }

    private mutating func parseJSON(_ entry: UnpackedEntry) -> JSONValue? {
        do {
            return try JSONParser().parse(entry.data)
        } catch {
            problem(entry.path, "not valid JSON: \(error.description)")
            return nil
        }
    }

    private mutating func readWorkflow(
        _ path: String, _ object: JSONObject, registry: ModuleRegistry, customModules: Set<String>
    ) -> BackupWorkflow? {
        let before = problems.count
        var name = ""
        switch object["flow_name"] {
        case .string(let text)?:
            name = text
            do {
                try FlowName.validate(text)
            } catch {
                problem(path, "flow_name: \(error)")
            }
        case nil:
            problem(path, "flow_name: missing")
        case let other?:
            problem(path, "flow_name: expected text, got \(ParameterReader.describe(other))")
        }
        var enabled = true
        switch object["enabled"] {
        case nil, .null?: break
        case .bool(let flag)?: enabled = flag
        // MySQL's TINYINT(1), had a row been written out without conversion.
        case .int(let number)? where number == 0 || number == 1: enabled = number == 1
        case let other?: problem(path, "enabled: expected true or false, got \(ParameterReader.describe(other))")
        }
        var document: JSONObject = [:]
        switch object["procedures"] {
        // The seed wrote `{}` for a row whose definition it could not parse.
        case nil, .null?: break
        case .object(let definition)?: document = definition
        // A bare list of steps, as the seed's create request carried it.
        case .array(let steps)?: document = ["procedures": .array(steps)]
        case let other?: problem(path, "procedures: expected the workflow document (an object), got \(ParameterReader.describe(other))")
        }
        for issue in Workflow(document: .object(document)).validate(registry: registry)
        where !Self.callsCustomModule(issue, document: document, customModules: customModules) {
            problem(path, "procedures: \(issue.path): \(issue.message)")
        }
        guard problems.count == before else { return nil }
        return BackupWorkflow(entry: path, name: name, enabled: enabled, document: document)
    }

    /// Whether `issue` is "unknown module" for a step that calls a custom module that the backup
    /// ships or the store holds but that cannot be called yet (an import that fails on this
    /// node), so its methods cannot be checked here.
    static func callsCustomModule(_ issue: ValidationIssue, document: JSONObject, customModules: Set<String>) -> Bool {
        let prefix = "procedures["
        guard issue.path.hasPrefix(prefix), issue.path.hasSuffix("].mod"),
            let index = Int(issue.path.dropFirst(prefix.count).dropLast("].mod".count)),
            let steps = document["procedures"]?.arrayValue, steps.indices.contains(index),
            let module = steps[index]["mod"]?.stringValue
        else { return false }
        return customModules.contains(module)
    }

    private mutating func readHistory(_ entry: UnpackedEntry) -> BackupHistory? {
        guard entry.path.hasSuffix(".json") else {
            problem(entry.path, "expected extra/versions/<name>.json")
            return nil
        }
        guard let value = parseJSON(entry) else { return nil }
        guard let name = value["flow_name"]?.stringValue, !name.isEmpty else {
            problem(entry.path, "flow_name: missing")
            return nil
        }
        guard let list = value["versions"]?.arrayValue, !list.isEmpty else {
            problem(entry.path, "versions: expected a non-empty list of versions, oldest first")
            return nil
        }
        let before = problems.count
        var versions: [FlowVersion] = []
        for (index, item) in list.enumerated() {
            let at = "versions[\(index)]"
            guard item.intValue(at: "number") == index + 1 else {
                problem(entry.path, "\(at).number: expected \(index + 1) (versions are numbered 1, 2, ... oldest first)")
                continue
            }
            guard let text = item["created_at"]?.stringValue, let createdAt = BackupTime.date(text) else {
                problem(entry.path, "\(at).created_at: expected an ISO 8601 time such as 2026-11-28T10:00:00.000Z")
                continue
            }
            guard case .object(let document)? = item["document"] else {
                problem(entry.path, "\(at).document: expected the workflow document (an object)")
                continue
            }
            guard let author = item.optionalText("author"), let comment = item.optionalText("comment") else {
                problem(entry.path, "\(at): author and comment must be text or null")
                continue
            }
            versions.append(
                FlowVersion(flowName: name, number: index + 1, author: author, comment: comment, document: document, createdAt: createdAt))
        }
        guard problems.count == before else { return nil }
        return BackupHistory(entry: entry.path, flowName: name, versions: versions)
    }

    /// `{"schedules": [{"flow_name", "name", "cron", "timezone", "enabled", "overlap", "misfire"}]}`,
    /// each of a workflow the backup holds.
    private mutating func readSchedules(_ entry: UnpackedEntry, workflows: Set<String>) -> [BackupSchedule] {
        guard let value = parseJSON(entry) else { return [] }
        guard let list = value["schedules"]?.arrayValue else {
            problem(entry.path, "schedules: expected a list of schedules")
            return []
        }
        var schedules: [BackupSchedule] = []
        var seen: Set<String> = []
        for (index, item) in list.enumerated() {
            let at = "schedules[\(index)]"
            guard let flowName = item["flow_name"]?.stringValue, let name = item["name"]?.stringValue,
                let cron = item["cron"]?.stringValue, let timeZone = item["timezone"]?.stringValue
            else {
                problem(entry.path, "\(at): flow_name, name, cron and timezone must be text")
                continue
            }
            guard workflows.contains(flowName) else {
                problem(entry.path, "\(at).flow_name: workflow '\(flowName)' is not in the backup")
                continue
            }
            do {
                try ScheduleName.validate(name)
            } catch {
                problem(entry.path, "\(at).name: \(error)")
                continue
            }
            guard seen.insert("\(flowName)/\(name)").inserted else {
                problem(entry.path, "\(at): workflow '\(flowName)' has two schedules named '\(name)'")
                continue
            }
            var enabled = true
            switch item["enabled"] {
            case nil: break
            case .bool(let flag)?: enabled = flag
            case let other?:
                problem(entry.path, "\(at).enabled: expected true or false, got \(ParameterReader.describe(other))")
                continue
            }
            do throws(ScheduleSettingsError) {
                let overlap = try item["overlap"]?.stringValue.map(ScheduleSettings.overlap(named:)) ?? .skip
                let misfire = try item["misfire"]?.stringValue.map(ScheduleSettings.misfire(named:)) ?? .runOnce
                let settings = ScheduleSettings(cron: cron, timeZone: timeZone, enabled: enabled, overlap: overlap, misfire: misfire)
                _ = try settings.cronSchedule()
                schedules.append(BackupSchedule(flowName: flowName, name: name, settings: settings))
            } catch {
                problem(entry.path, "\(at).\(error)")
            }
        }
        return schedules
    }

    /// `{"users": [{"username", "is_admin", "enabled", "display_name"?, "email"?, "password_hash"?}]}`;
    /// a hash must be bcrypt's.
    private mutating func readUsers(_ entry: UnpackedEntry) -> [BackupUser] {
        guard let value = parseJSON(entry) else { return [] }
        guard let list = value["users"]?.arrayValue else {
            problem(entry.path, "users: expected a list of users")
            return []
        }
        var users: [BackupUser] = []
        var seen: Set<String> = []
        for (index, item) in list.enumerated() {
            let at = "users[\(index)]"
            guard let username = item["username"]?.stringValue else {
                problem(entry.path, "\(at).username: expected text")
                continue
            }
            do {
                try AuthNames.checkUsername(username)
            } catch {
                problem(entry.path, "\(at).username: \(error)")
                continue
            }
            guard seen.insert(username).inserted else {
                problem(entry.path, "\(at).username: '\(username)' appears twice")
                continue
            }
            guard case .bool(let isAdmin)? = item["is_admin"] ?? .bool(false), case .bool(let enabled)? = item["enabled"] ?? .bool(true) else {
                problem(entry.path, "\(at): is_admin and enabled must be true or false")
                continue
            }
            var hash: String?
            switch item["password_hash"] {
            case nil, .null?: break
            case .string(let text)? where Self.isBcryptHash(text): hash = text
            default:
                problem(entry.path, "\(at).password_hash: expected a bcrypt hash ($2b$ with a cost from 04 to 16), or none")
                continue
            }
            var profile: [String: String] = [:]
            var profileOK = true
            for key in ["display_name", "email"] {
                switch item[key] {
                case nil, .null?: break
                case .string(let text)?: profile[key] = text
                default:
                    problem(entry.path, "\(at).\(key): expected text")
                    profileOK = false
                }
            }
            do {
                try AuthNames.checkProfile(displayName: profile["display_name"], email: profile["email"])
            } catch {
                problem(entry.path, "\(at): \(error)")
                profileOK = false
            }
            guard profileOK else { continue }
            users.append(
                BackupUser(
                    username: username, isAdmin: isAdmin, enabled: enabled, passwordHash: hash, displayName: profile["display_name"],
                    email: profile["email"]))
        }
        return users
    }

    /// `$2a$` or `$2b$` (what WorkFlow's bcrypt checks), a cost from 04 to 16 (what WorkFlow
    /// hashes with: a crafted cost of 31 would make every sign-in attempt of that user take a
    /// day of CPU), `$`, and 53 characters of bcrypt's base 64.
    static func isBcryptHash(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, text.hasPrefix("$2a$") || text.hasPrefix("$2b$"), bytes[6] == UInt8(ascii: "$"),
            let cost = Int(String(decoding: bytes[4...5], as: UTF8.self)), (4...16).contains(cost)
        else { return false }
        return bytes[7...].allSatisfy { byte in
            byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
    }

    private mutating func readModule(_ entry: UnpackedEntry, parts: [String]) -> BackupModuleFile? {
        guard parts.count == 3 else {
            problem(entry.path, "expected modules/<category>/<file>.py")
            return nil
        }
        let category = parts[1]
        let fileName = parts[2]
        guard ModuleFiles.isCategory(category) else {
            problem(entry.path, "'\(category)' is not a module category (letters, digits and '_', not starting with a digit)")
            return nil
        }
        guard ModuleFiles.isSourceFile(fileName) else {
            problem(entry.path, "expected a Python source file <name>.py whose name does not start with '.'")
            return nil
        }
        return moduleFile(entry.path, category: category, fileName: fileName, data: entry.data)
    }

    /// A module file, with the reason it is left out; `nil` (a problem) when it is not UTF-8 text.
    mutating func moduleFile(_ path: String, category: String, fileName: String, data: Data) -> BackupModuleFile? {
        let skipReason = ModuleFiles.skipReason(category: category, fileName: fileName, isBuiltIn: modules.isBuiltIn)
        guard let text = String(data: data, encoding: .utf8) else {
            if skipReason == nil { problem(path, "not UTF-8 text; a Python source must be") }
            return skipReason == nil ? nil : BackupModuleFile(entry: path, category: category, fileName: fileName, source: "", skipReason: skipReason)
        }
        return BackupModuleFile(
            entry: path, category: category, fileName: fileName, source: text.replacingOccurrences(of: "\r\n", with: "\n"),
            skipReason: skipReason)
    }
}

extension JSONValue {
    fileprivate func intValue(at key: String) -> Int? {
        guard case .int(let number)? = self[key] else { return nil }
        return number
    }

    /// `.some(nil)` for a missing or null key, `.some(text)` for text, `nil` for anything else.
    fileprivate func optionalText(_ key: String) -> String?? {
        switch self[key] {
        case nil, .null?: .some(nil)
        case .string(let text)?: .some(text)
        default: nil
        }
    }
}
