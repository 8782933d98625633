import Foundation
import WorkFlowEngine

/// Prints a run's progress as it happens: one line when a step starts and one when it ends,
/// with colours and symbols only on a terminal.
actor ProgressPrinter: RunRecorder {
    private let console: any Console
    private let colour: Bool
    private var nameWidth = 4

    init(console: any Console) {
        self.console = console
        self.colour = console.isTerminal
    }

    func record(_ event: RunEvent) async {
        switch event {
        case .runStarted(_, _, let steps):
            nameWidth = min(40, max(4, steps.map(\.name.count).max() ?? 4))
        case .stepStarted(let step):
            console.out("\(symbol(.running)) \(pad(step.name))  \(paint("running", .running))  \(step.module).\(step.method)\n")
        case .stepFinished(let step):
            var line = "\(symbol(step.status)) \(pad(step.name))  "
            if let ms = step.durationMs, step.status != .skipped {
                line += paint(step.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0), step.status) + "  \(Self.duration(ms))"
            } else {
                line += paint(step.status.rawValue, step.status)
            }
            if step.attempts > 1 { line += "  (\(step.attempts) attempts)" }
            if let error = step.error { line += "\n    \(paint(error, step.status == .failed ? .failed : .skipped))" }
            console.out(line + "\n")
        case .runFinished(let result):
            var line = "\(symbol(result.status == .success ? .success : (result.status == .cancelled ? .cancelled : .failed))) "
            line += "run \(paint(result.status.rawValue, result.status == .success ? .success : .failed)) in \(Self.duration(result.durationMs))"
            let counts = Dictionary(grouping: result.steps, by: \.status).mapValues(\.count)
            let parts = StepStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
            if !parts.isEmpty { line += " (" + parts.joined(separator: ", ") + ")" }
            if let error = result.error { line += "\n  \(error)" }
            console.out(line + "\n")
        }
    }

    static func duration(_ ms: Int) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms < 60_000 { return String(format: "%.2f s", Double(ms) / 1000) }
        return "\(ms / 60_000) min \(ms % 60_000 / 1000) s"
    }

    private func pad(_ name: String) -> String {
        name.count >= nameWidth ? name : name + String(repeating: " ", count: nameWidth - name.count)
    }

    private func symbol(_ status: StepStatus) -> String {
        guard colour else {
            switch status {
            case .running: return "[..]"
            case .success: return "[ok]"
            case .failed: return "[!!]"
            default: return "[--]"
            }
        }
        switch status {
        case .running: return paint("▶", status)
        case .success: return paint("✔", status)
        case .failed: return paint("✘", status)
        default: return paint("–", status)
        }
    }

    private func paint(_ text: String, _ status: StepStatus) -> String {
        guard colour else { return text }
        let code: String
        switch status {
        case .success: code = "32"
        case .failed: code = "31"
        case .running: code = "36"
        case .cancelled: code = "33"
        default: code = "2"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
