import Foundation
import OrderedCollections

extension Workflow {
    /// The path of step `i` in the document, e.g. `procedures[2]`.
    func stepPath(_ i: Int) -> String {
        "procedures[\(procedures[i].sourceIndex ?? i)]"
    }

    /// For each step, the indices of the steps it waits for. A step without `depends_on` waits
    /// for the one before it in the list, so seed workflows run exactly in list order. Unknown
    /// names are left out (``validate(registry:)`` reports them).
    public func dependencyIndices() -> [[Int]] {
        var indexByName: [String: Int] = [:]
        for (i, step) in procedures.enumerated() where indexByName[step.name] == nil {
            indexByName[step.name] = i
        }
        return procedures.enumerated().map { i, step in
            guard let names = step.dependsOn else { return i > 0 ? [i - 1] : [] }
            var seen = Set<Int>()
            return names.compactMap { name in
                guard let j = indexByName[name], seen.insert(j).inserted else { return nil }
                return j
            }
        }
    }

    /// Every problem in the document, each with its JSON path; empty when the workflow can run.
    public func validate(registry: ModuleRegistry) -> [ValidationIssue] {
        var issues = decodingIssues
        var firstIndex: [String: Int] = [:]
        for (i, step) in procedures.enumerated() where !step.name.isEmpty {
            if let first = firstIndex[step.name] {
                issues.append(
                    ValidationIssue(path: "\(stepPath(i)).name", message: "duplicate step name '\(step.name)' (also used by \(stepPath(first)))"))
            } else {
                firstIndex[step.name] = i
            }
        }
        for (i, step) in procedures.enumerated() {
            issues += validateModule(of: step, at: stepPath(i), registry: registry)
            for (k, name) in (step.dependsOn ?? []).enumerated() where firstIndex[name] == nil {
                issues.append(ValidationIssue(path: "\(stepPath(i)).depends_on[\(k)]", message: "no step named '\(name)'"))
            }
        }
        let dependencies = dependencyIndices()
        let cycles = Self.findCycles(dependencies)
        for cycle in cycles {
            let names = (cycle + [cycle[0]]).map { procedures[$0].name }
            issues.append(
                ValidationIssue(path: "\(stepPath(cycle[0])).depends_on", message: "dependency cycle: \(names.joined(separator: " → "))"))
        }
        // The upstream search keeps a visited set, so references are checked even around a cycle.
        issues += validateReferences(dependencies: dependencies, stepIndex: firstIndex)
        return issues
    }

    private func validateModule(of step: Procedure, at path: String, registry: ModuleRegistry) -> [ValidationIssue] {
        guard !step.mod.isEmpty, !step.method.isEmpty else { return [] }
        guard let module = registry.module(named: step.mod) else {
            var message = "unknown module '\(step.mod)'"
            if step.mod.hasPrefix("mod."), registry.module(named: String(step.mod.dropFirst(4))) != nil {
                message += "; write '\(step.mod.dropFirst(4))' without the 'mod.' prefix"
            } else {
                message += " (modules: \(registry.names.joined(separator: ", ")))"
            }
            return [ValidationIssue(path: "\(path).mod", message: message)]
        }
        let descriptor = module.descriptor
        guard let method = descriptor.method(named: step.method) else {
            return [
                ValidationIssue(
                    path: "\(path).method",
                    message: "module \(step.mod) has no method '\(step.method)' (methods: \(descriptor.methods.map(\.name).joined(separator: ", ")))")
            ]
        }
        var issues: [ValidationIssue] = []
        for parameter in method.parameters {
            guard let value = step.params[parameter.name] else {
                if parameter.required {
                    issues.append(
                        ValidationIssue(path: "\(path).params.\(parameter.name)", message: "required by \(step.mod).\(step.method): \(parameter.doc)"))
                }
                continue
            }
            if descriptor.checksParameterTypes, let problem = Self.literalTypeProblem(value, parameter: parameter) {
                issues.append(ValidationIssue(path: "\(path).params.\(parameter.name)", message: problem))
            }
        }
        return issues
    }

    /// A message when a literal (reference-free) value cannot be of the parameter's type.
    /// Numeric text is accepted for numbers, as the modules convert it like Python's `int()`.
    static func literalTypeProblem(_ value: JSONValue, parameter: ParameterDescriptor) -> String? {
        if value.isNull { return nil }
        var checked = value
        if case .string(let s) = value {
            // `@@x` is the literal text `@x`, so it is checked like any other text.
            if s.hasPrefix("@@") {
                checked = .string(String(s.dropFirst()))
            } else if s.hasPrefix("@") || s.containsInterpolation {
                return nil
            }
            let trimmed = (checked.stringValue ?? s).trimmingCharacters(in: .whitespaces)
            if parameter.types.contains(where: { $0 == .number || $0 == .integer }), Double(trimmed) != nil { return nil }
        }
        if parameter.types.contains(where: { $0.accepts(checked) }) { return nil }
        if parameter.types.contains(.integer), case .double = checked { return nil }
        return "expected \(parameter.typeDescription), got \(ParameterReader.describe(value))"
    }

    private func validateReferences(dependencies: [[Int]], stepIndex: [String: Int]) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        // chainStart[i]: the first step of the run of list-order steps that ends at i, where each
        // waits only for the one before it. Inside such a run every earlier step is upstream, which
        // answers the seed's sequential workflows without a search.
        var chainStart = Array(dependencies.indices)
        for i in dependencies.indices.dropFirst() where dependencies[i] == [i - 1] {
            chainStart[i] = chainStart[i - 1]
        }
        for (i, step) in procedures.enumerated() {
            let path = stepPath(i)
            var found: [(path: String, reference: Reference)] = []
            func collect(_ value: JSONValue, at valuePath: String) {
                switch value {
                case .string(let s):
                    guard s.hasPrefix("@") || s.containsInterpolation else { return }
                    do {
                        for r in try value.references() { found.append((valuePath, r)) }
                    } catch {
                        issues.append(ValidationIssue(path: valuePath, message: error.description))
                    }
                case .array(let a):
                    for (k, v) in a.enumerated() { collect(v, at: "\(valuePath)[\(k)]") }
                case .object(let o):
                    for (key, v) in o { collect(v, at: "\(valuePath).\(key)") }
                default: break
                }
            }
            for (key, value) in step.params { collect(value, at: "\(path).params.\(key)") }
            if let foreach = step.foreach { collect(foreach, at: "\(path).foreach") }
            if let when = step.when {
                do {
                    let condition = try Condition(parsing: when)
                    for r in condition.references { found.append(("\(path).when", r)) }
                } catch {
                    issues.append(ValidationIssue(path: "\(path).when", message: "invalid condition at \(error.description)"))
                }
            }
            for (valuePath, reference) in found {
                switch reference.root {
                case .step(let name):
                    guard let j = stepIndex[name] else {
                        issues.append(ValidationIssue(path: valuePath, message: "\(reference) refers to step '\(name)', but there is no step with that name"))
                        continue
                    }
                    if j == i {
                        issues.append(ValidationIssue(path: valuePath, message: "\(reference) refers to this step's own result"))
                    } else if !(j < i && j >= chainStart[i]) && !Self.waits(i, for: j, dependencies) {
                        issues.append(
                            ValidationIssue(
                                path: valuePath,
                                message: "\(reference) refers to step '\(name)', which does not finish before this step; add \"\(name)\" to depends_on"))
                    }
                case .item, .index:
                    // Only the params see an item: `foreach` gives the items and `when` is
                    // checked once for the whole step, so there @item would always read null.
                    if step.foreach == nil {
                        issues.append(ValidationIssue(path: valuePath, message: "\(reference) is only available in a step with foreach"))
                    } else if valuePath == "\(path).foreach" || valuePath.hasPrefix("\(path).foreach[") {
                        issues.append(ValidationIssue(path: valuePath, message: "\(reference) cannot be used in foreach itself, which gives the items"))
                    } else if valuePath == "\(path).when" {
                        issues.append(
                            ValidationIssue(
                                path: valuePath,
                                message: "\(reference) cannot be used in when, which is checked once for the whole step before any item runs"))
                    }
                case .variables, .system:
                    break
                }
            }
        }
        return issues
    }

    /// Whether step `i` waits, directly or through others, for step `j`. A search per reference
    /// keeps memory linear; precomputed ancestor sets grow with the square of the steps.
    static func waits(_ i: Int, for j: Int, _ dependencies: [[Int]]) -> Bool {
        var seen = Set<Int>()
        var queue = dependencies[i]
        while let k = queue.popLast() {
            if k == j { return true }
            if seen.insert(k).inserted { queue += dependencies[k] }
        }
        return false
    }

    /// The dependency cycles, each as the step indices along it, reported once per cycle.
    ///
    /// A depth-first search with an explicit stack: documents come from users, and a chain of
    /// many thousand steps would overflow the call stack of a recursive search.
    static func findCycles(_ dependencies: [[Int]]) -> [[Int]] {
        enum Mark { case unvisited, inProgress, done }
        var marks = [Mark](repeating: .unvisited, count: dependencies.count)
        var cycles: [[Int]] = []
        for root in dependencies.indices where marks[root] == .unvisited {
            // The path being explored, each step with the position of its next dependency to visit.
            var path: [(step: Int, next: Int)] = [(root, 0)]
            marks[root] = .inProgress
            while let (i, next) = path.last {
                guard next < dependencies[i].count else {
                    path.removeLast()
                    marks[i] = .done
                    continue
                }
                path[path.count - 1].next += 1
                let j = dependencies[i][next]
                switch marks[j] {
                case .unvisited:
                    marks[j] = .inProgress
                    path.append((j, 0))
                case .inProgress:
                    if let start = path.lastIndex(where: { $0.step == j }) {
                        // Walk the cycle in execution order: each step after the one it waits for.
                        cycles.append(path[start...].map(\.step).reversed())
                    }
                case .done:
                    break
                }
            }
        }
        return cycles
    }
}
