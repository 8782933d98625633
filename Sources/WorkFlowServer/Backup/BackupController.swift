import Foundation
import Hummingbird
import NIOCore
import WorkFlowBackup
import WorkFlowEngine
import WorkFlowStore

/// The seed's `GET /backup` and `POST /restore`, and API v1's `GET /api/v1/backup` and
/// `POST /api/v1/restore`: backups in the seed's ZIP layout (docs/backup.md), for administrators.
///
/// A restore reads and checks the whole archive first; when anything is wrong it answers 400
/// with every problem and writes nothing.
struct BackupController {
    let store: SQLStore
    let modules: ModuleLibrary
    /// The modules as last loaded (built-in and custom).
    var registry: ModuleRegistry { modules.registry() }
    /// The custom module sources backed up and restored.
    var moduleSources: LibraryBackupModules { LibraryBackupModules(library: modules) }
    let auditor: Auditor
    /// Told when a restore brings schedules, so it plans them at once.
    let scheduler: SchedulerService
    let now: @Sendable () -> Date
    var limits = BackupLimits.standard

    /// A restore's body: the seed's form upload, or the ZIP itself.
    static let uploadTypes = ["multipart/form-data", "application/zip"]

    func addRoutes(to routes: RouteTable) {
        routes.add(
            .get, "/backup", "Download a backup ZIP of workflows, versions, schedules, users, settings and custom modules; ?password_hashes=true adds the users' password hashes (administrators)",
            produces: "application/zip"
        ) { request, context in
            try await download(request, context)
        }
        routes.add(
            .post, "/restore", "Restore a backup ZIP (multipart field \"file\" or a ZIP body): {status, restored, errors?} (administrators)",
            consumes: Self.uploadTypes
        ) { request, context in
            let outcome = try await restore(request, context: context, dryRun: false)
            return JSONResponse(seedAnswer(outcome.plan, failures: outcome.failures))
        }
        routes.add(
            .get, "/api/v1/backup", "Download a backup ZIP of workflows, versions, schedules, users, settings and custom modules; ?password_hashes=true adds the users' password hashes", produces: "application/zip"
        ) { request, context in
            try await download(request, context)
        }
        routes.add(
            .post, "/api/v1/restore", "Restore a backup ZIP (multipart field \"file\" or a ZIP body); ?dry_run=true only lists the changes",
            consumes: Self.uploadTypes
        ) { request, context in
            let dryRun: Bool
            switch request.textQuery("dry_run") {
            case nil, "false": dryRun = false
            case "true": dryRun = true
            case let other?: throw APIError.invalidField("dry_run", "'\(other)' is not true or false")
            }
            let outcome = try await restore(request, context: context, dryRun: dryRun)
            return JSONResponse(outcome.plan.report(failures: outcome.failures, dryRun: dryRun))
        }
    }

    /// The ZIP as an attachment named as the seed named it.
    private func download(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let includeHashes: Bool
        switch request.textQuery("password_hashes") {
        case nil, "false": includeHashes = false
        case "true": includeHashes = true
        case let other?: throw APIError.invalidField("password_hashes", "'\(other)' is not true or false")
        }
        let date = now()
        let output: BackupOutput
        do {
            output = try await BackupWriter(
                flows: store, settings: store, modules: moduleSources, schedules: store, users: store,
                includePasswordHashes: includeHashes
            ).write(createdBy: identity.actor, at: date)
        } catch {
            throw Self.apiError(error)
        }
        let fileName = BackupLayout.fileName(at: date)
        await auditor.record(
            context, action: "backup", targetType: "system", targetName: fileName,
            detail: [
                "workflows": .int(output.workflows.count), "settings": .int(output.settingCount), "modules": .int(output.modules.count),
                "schedules": .int(output.scheduleCount), "users": .int(output.userCount), "password_hashes": .bool(includeHashes),
            ])
        return Response(
            status: .ok,
            headers: [.contentType: "application/zip", .contentDisposition: "attachment; filename=\"\(fileName)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: output.data)))
    }

    /// Checks the uploaded archive whole, plans the restore against the store, and — unless a
    /// dry run — carries it out and records it in the audit log.
    private func restore(
        _ request: Request, context: AppRequestContext, dryRun: Bool
    ) async throws -> (plan: RestorePlan, failures: [BackupProblem]) {
        let identity = try context.require(.admin)
        let upload = try await BackupUpload.read(request, context: context)
        let restorer = BackupRestorer(
            flows: store, settings: store, modules: moduleSources, schedules: store, users: store, now: now)
        let plan: RestorePlan
        do {
            let archive = try await BackupArchive.read(upload.data, registry: registry, modules: moduleSources, limits: limits)
            plan = try await restorer.plan(archive)
        } catch {
            throw Self.apiError(error)
        }
        if dryRun { return (plan, []) }
        let file = upload.fileName ?? "upload"
        let source = plan.manifest.createdAt.isEmpty ? file : "\(file) (\(plan.manifest.createdAt))"
        let result = await restorer.apply(plan, author: identity.actor, source: source)
        if plan.items.contains(where: { $0.kind == .schedule }) { scheduler.wake() }
        await auditor.record(context, action: "restore", targetType: "system", targetName: file, detail: Self.auditDetail(plan, result.failures))
        return (plan, result.failures)
    }

    /// The seed's answer: `{"status": true, "restored": ["workflows (N)", "modules (N files)",
    /// "settings"], "errors"?: ["<section>: <problem>"]}`, naming the sections `backup.json` lists.
    func seedAnswer(_ plan: RestorePlan, failures: [BackupProblem]) -> JSONValue {
        let failedEntries = Set(failures.compactMap(\.entry))
        func restoredCount(_ kind: RestoreItem.Kind) -> Int {
            plan.items.filter { $0.kind == kind && $0.change != .skip && !failedEntries.contains($0.entry) }.count
        }
        var restored: [JSONValue] = []
        for section in plan.manifest.sections {
            switch section {
            case .workflows: restored.append(.string("workflows (\(restoredCount(.workflow)))"))
            case .modules: restored.append(.string("modules (\(restoredCount(.module)) files)"))
            case .settings where !failedEntries.contains(BackupLayout.settingsPath): restored.append("settings")
            case .settings, .accounts: break
            }
        }
        var answer: JSONObject = ["status": true, "restored": .array(restored)]
        if !failures.isEmpty {
            answer["errors"] = .array(
                failures.map { failure in
                    let kind = plan.items.first { $0.entry == failure.entry }?.kind
                    let section =
                        switch kind {
                        case .workflow?: "workflows"
                        case .module?: "modules"
                        case .setting?: "settings"
                        case .schedule?: "schedules"
                        case .user?: "users"
                        case nil: "restore"
                        }
                    return .string("\(section): \(failure)")
                })
        }
        return .object(answer)
    }

    private static func auditDetail(_ plan: RestorePlan, _ failures: [BackupProblem]) -> JSONValue {
        func names(_ kind: RestoreItem.Kind, _ change: RestoreChange) -> JSONValue {
            .array(plan.items(kind, change).map { .string($0.name) })
        }
        return [
            "backup": ["created_at": .string(plan.manifest.createdAt), "created_by": .string(plan.manifest.createdBy)],
            "workflows": ["created": names(.workflow, .create), "updated": names(.workflow, .update)],
            "settings": ["created": names(.setting, .create), "updated": names(.setting, .update)],
            "modules": ["created": names(.module, .create), "updated": names(.module, .update)],
            "schedules": ["created": names(.schedule, .create), "updated": names(.schedule, .update)],
            "users": ["created": names(.user, .create)],
            "failures": .array(failures.map(\.json)),
        ]
    }

    /// A backup that cannot be made or restored, in the seed's words where it had them.
    static func apiError(_ error: any Error) -> any Error {
        guard let error = error as? BackupError else { return error }
        switch error {
        case .invalidArchive(let problems):
            let details = JSONValue.array(problems.map(\.json))
            if problems.contains(.notAZIP) {
                return APIError(.badRequest, code: "not_a_zip", message: "Uploaded file is not a valid ZIP archive")
            }
            if problems.contains(.missingManifest) {
                return APIError(.badRequest, code: "invalid_backup", message: "Invalid backup file: missing backup.json", details: details)
            }
            let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
            let first = problems.first.map(\.description) ?? "no problem given"
            return APIError(
                .badRequest, code: "invalid_backup", message: "Invalid backup file; nothing was written: \(first)\(more)", details: details)
        case .store(let storeError):
            return APIError(storeError)
        case .file, .modules:
            // The module library failing is the server's problem, logged by the error middleware.
            return error
        }
    }
}
