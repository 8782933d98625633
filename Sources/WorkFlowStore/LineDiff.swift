/// Line diffs in the unified format, computed with Myers' O((N+M)·D) algorithm.
enum LineDiff {
    enum Kind: Equatable {
        case same, removed, added
    }

    struct Edit: Equatable {
        var kind: Kind
        var text: Substring
    }

    /// Above this many changed lines the diff stops looking for the shortest edit script and
    /// reports the differing middle as removed and added whole; memory stays bounded.
    static let maximumEditDistance = 2_000

    /// `--- from` / `+++ to` headers and `@@ -a,b +c,d @@` hunks with `context` lines around each
    /// change. Identical texts give the headers alone.
    static func unified(from old: String, to new: String, fromLabel: String, toLabel: String, context: Int = 3) -> String {
        let edits = edits(from: lines(old), to: lines(new))
        var out = "--- \(fromLabel)\n+++ \(toLabel)\n"
        for hunk in hunks(edits, context: context) {
            out += hunk
        }
        return out
    }

    static func lines(_ text: String) -> [Substring] {
        text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The shortest edit script turning `a` into `b` (common prefix and suffix trimmed first).
    static func edits(from a: [Substring], to b: [Substring]) -> [Edit] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        var result = a[..<prefix].map { Edit(kind: .same, text: $0) }
        result += myers(middleA, middleB)
        result += a[(a.count - suffix)...].map { Edit(kind: .same, text: $0) }
        return result
    }

    /// Myers' greedy forward search over diagonals k = x - y, remembering the furthest x reached
    /// on each diagonal after every round d, then walking the rounds backwards to recover the path.
    private static func myers(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        let n = a.count
        let m = b.count
        if n == 0 { return b.map { Edit(kind: .added, text: $0) } }
        if m == 0 { return a.map { Edit(kind: .removed, text: $0) } }
        let limit = min(n + m, maximumEditDistance)
        let offset = limit + 1
        var furthest = [Int](repeating: 0, count: 2 * limit + 3)
        // rounds[d] holds furthest[k] for k in -d...d as it was before round d.
        var rounds: [[Int]] = []
        var found = false
        search: for d in 0...limit {
            rounds.append(Array(furthest[(offset - d)...(offset + d)]))
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && furthest[offset + k - 1] < furthest[offset + k + 1]) {
                    x = furthest[offset + k + 1]  // a step down: a line of b added
                } else {
                    x = furthest[offset + k - 1] + 1  // a step right: a line of a removed
                }
                var y = x - k
                while x < n, y < m, a[x] == b[y] {
                    x += 1
                    y += 1
                }
                furthest[offset + k] = x
                if x >= n, y >= m {
                    found = true
                    break search
                }
            }
        }
        guard found else {
            return a.map { Edit(kind: .removed, text: $0) } + b.map { Edit(kind: .added, text: $0) }
        }

        var reversed: [Edit] = []
        var x = n
        var y = m
        for d in stride(from: rounds.count - 1, through: 0, by: -1) {
            let before = rounds[d]
            func reached(_ k: Int) -> Int { before[k + d] }
            let k = x - y
            let previousK = (k == -d || (k != d && reached(k - 1) < reached(k + 1))) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : reached(previousK)
            let previousY = d == 0 ? 0 : previousX - previousK
            while x > previousX, y > previousY {
                x -= 1
                y -= 1
                reversed.append(Edit(kind: .same, text: a[x]))
            }
            if d > 0 {
                if x == previousX {
                    y -= 1
                    reversed.append(Edit(kind: .added, text: b[y]))
                } else {
                    x -= 1
                    reversed.append(Edit(kind: .removed, text: a[x]))
                }
            }
        }
        return reversed.reversed()
    }

    /// Groups changes that lie within `2 * context` lines of each other into hunks.
    private static func hunks(_ edits: [Edit], context: Int) -> [String] {
        let changes = edits.indices.filter { edits[$0].kind != .same }
        guard !changes.isEmpty else { return [] }
        var ranges: [Range<Int>] = []
        var start = max(0, changes[0] - context)
        var end = min(edits.count, changes[0] + context + 1)
        for index in changes.dropFirst() {
            if index - context <= end {
                end = min(edits.count, index + context + 1)
            } else {
                ranges.append(start..<end)
                start = max(0, index - context)
                end = min(edits.count, index + context + 1)
            }
        }
        ranges.append(start..<end)

        // Line numbers before each edit, in the old and the new text.
        var oldLine = [Int](repeating: 0, count: edits.count + 1)
        var newLine = [Int](repeating: 0, count: edits.count + 1)
        for (i, edit) in edits.enumerated() {
            oldLine[i + 1] = oldLine[i] + (edit.kind == .added ? 0 : 1)
            newLine[i + 1] = newLine[i] + (edit.kind == .removed ? 0 : 1)
        }
        return ranges.map { range in
            let oldCount = oldLine[range.upperBound] - oldLine[range.lowerBound]
            let newCount = newLine[range.upperBound] - newLine[range.lowerBound]
            // As in GNU diff, an empty side names the line before it.
            let oldStart = oldCount == 0 ? oldLine[range.lowerBound] : oldLine[range.lowerBound] + 1
            let newStart = newCount == 0 ? newLine[range.lowerBound] : newLine[range.lowerBound] + 1
            var out = "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n"
            for edit in edits[range] {
                switch edit.kind {
                case .same: out += " "
                case .removed: out += "-"
                case .added: out += "+"
                }
                out += edit.text
                out += "\n"
            }
            return out
        }
    }
}

/// One row of a side-by-side diff: a line of the old text, of the new text, or both.
public struct DiffRow: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case same, changed, removed, added
    }

    public var kind: Kind
    public var oldNumber: Int?
    public var oldText: String?
    public var newNumber: Int?
    public var newText: String?
}

/// Two texts side by side: unchanged lines on one row, a run of removed lines paired row by row
/// with the run of added lines that replaces it, the rest alone on their side.
public enum SideBySideDiff {
    public static func rows(from old: String, to new: String) -> [DiffRow] {
        let edits = LineDiff.edits(from: LineDiff.lines(old), to: LineDiff.lines(new))
        var rows: [DiffRow] = []
        var oldNumber = 0
        var newNumber = 0
        var index = 0
        while index < edits.count {
            if edits[index].kind == .same {
                oldNumber += 1
                newNumber += 1
                rows.append(DiffRow(kind: .same, oldNumber: oldNumber, oldText: String(edits[index].text), newNumber: newNumber, newText: String(edits[index].text)))
                index += 1
                continue
            }
            var removed: [Substring] = []
            var added: [Substring] = []
            while index < edits.count, edits[index].kind != .same {
                if edits[index].kind == .removed { removed.append(edits[index].text) } else { added.append(edits[index].text) }
                index += 1
            }
            for offset in 0..<max(removed.count, added.count) {
                let left = offset < removed.count ? String(removed[offset]) : nil
                let right = offset < added.count ? String(added[offset]) : nil
                if left != nil { oldNumber += 1 }
                if right != nil { newNumber += 1 }
                let kind: DiffRow.Kind = left != nil && right != nil ? .changed : left != nil ? .removed : .added
                rows.append(
                    DiffRow(kind: kind, oldNumber: left == nil ? nil : oldNumber, oldText: left, newNumber: right == nil ? nil : newNumber, newText: right))
            }
        }
        return rows
    }
}
