import Foundation
import WorkFlowCron

/// What a schedule says: when it fires and how it treats overlapping and missed fire times.
///
/// The store keeps the cron text and the time zone identifier as given; checking them is the
/// caller's job (the server parses them with `CronExpression` and `TimeZone`).
public struct ScheduleSettings: Sendable, Hashable {
    /// The cron expression as written.
    public var cron: String
    /// An IANA time zone identifier (`Europe/Berlin`).
    public var timeZone: String
    public var enabled: Bool
    public var overlap: OverlapPolicy
    public var misfire: MisfirePolicy

    /// Settings; by default enabled, skipping overlapping fires and catching up once after downtime.
    public init(
        cron: String, timeZone: String, enabled: Bool = true, overlap: OverlapPolicy = .skip, misfire: MisfirePolicy = .runOnce
    ) {
        self.cron = cron
        self.timeZone = timeZone
        self.enabled = enabled
        self.overlap = overlap
        self.misfire = misfire
    }
}

/// A stored schedule of a workflow.
public struct StoredSchedule: Sendable, Hashable {
    public var id: Int64
    /// The workflow's current name (schedules follow renames).
    public var flowName: String
    /// Unique among the workflow's schedules; see ``ScheduleName``.
    public var name: String
    public var settings: ScheduleSettings
    /// Every fire time up to here has been decided; the scheduler plans from here on.
    public var plannedThrough: Date
    /// Runs owed under overlap `queue`, waiting for the schedule's active run to end.
    public var backlog: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var createdBy: String?
    public var updatedBy: String?

    public init(
        id: Int64, flowName: String, name: String, settings: ScheduleSettings, plannedThrough: Date, backlog: Int = 0,
        createdAt: Date, updatedAt: Date, createdBy: String?, updatedBy: String?
    ) {
        self.id = id
        self.flowName = flowName
        self.name = name
        self.settings = settings
        self.plannedThrough = plannedThrough
        self.backlog = backlog
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
        self.updatedBy = updatedBy
    }

    /// The `triggered_by` of the runs this schedule starts: `schedule:<name>`.
    public var runActor: String { ScheduleName.runActor(name) }
}

/// An enabled schedule of a live workflow, with what the scheduler needs to plan it.
public struct ScheduleToPlan: Sendable, Hashable {
    public var schedule: StoredSchedule
    /// Whether the workflow is enabled; a disabled one's schedules plan nothing.
    public var flowEnabled: Bool
    /// Whether a run of the workflow started by this schedule is queued or running.
    public var hasActiveRun: Bool

    public init(schedule: StoredSchedule, flowEnabled: Bool, hasActiveRun: Bool) {
        self.schedule = schedule
        self.flowEnabled = flowEnabled
        self.hasActiveRun = hasActiveRun
    }
}

/// Cron schedules of workflows, and the state the scheduler keeps for them.
///
/// Times that concern planning (`now:`) come from the caller, the scheduler's clock.
public protocol ScheduleStore: Sendable {
    /// Creates a schedule of a live workflow; it plans from `now` on.
    func createSchedule(
        flowName: String, name: String, settings: ScheduleSettings, author: String?, now: Date
    ) async throws(StoreError) -> StoredSchedule
    /// One schedule of a live workflow.
    func schedule(flowName: String, name: String) async throws(StoreError) -> StoredSchedule
    /// The schedules of one live workflow, or of all of them when `flowName` is `nil`, by workflow and name.
    func listSchedules(flowName: String?) async throws(StoreError) -> [StoredSchedule]
    /// Replaces a schedule's settings and, with `newName`, renames it.
    func updateSchedule(
        flowName: String, name: String, newName: String?, settings: ScheduleSettings, author: String?, now: Date
    ) async throws(StoreError) -> StoredSchedule
    /// Removes a schedule.
    func deleteSchedule(flowName: String, name: String) async throws(StoreError)
    /// Every enabled schedule of a live workflow, for one scheduler tick.
    func schedulesToPlan() async throws(StoreError) -> [ScheduleToPlan]
    /// Stores what a tick decided; `false` when the schedule is gone or already planned further.
    func recordPlan(scheduleID: Int64, plannedThrough: Date, backlog: Int) async throws(StoreError) -> Bool
    /// Runs `body` while holding the scheduler lock, or returns `nil` when another process holds it.
    func withSchedulerLock<R: Sendable>(_ body: () async -> R) async throws(StoreError) -> R?
}

/// The rules for schedule names, which appear in URLs and in runs' `triggered_by`.
public enum ScheduleName {
    public static let maximumLength = 64

    /// Throws ``StoreError/invalidScheduleName(_:)`` unless `name` is 1 to 64 ASCII letters,
    /// digits, `_`, `.` or `-`.
    public static func validate(_ name: String) throws(StoreError) {
        let allowed = name.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0))
        }
        guard !name.isEmpty, name.count <= maximumLength, allowed else {
            throw StoreError.invalidScheduleName(name)
        }
    }

    /// `schedule:<name>`, the `triggered_by` of a schedule's runs.
    public static func runActor(_ name: String) -> String {
        runActorPrefix + name
    }

    /// What every schedule's run actor starts with.
    public static let runActorPrefix = "schedule:"
}
