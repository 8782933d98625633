import Testing
@testable import WorkFlowStore

@Suite("line diff")
struct LineDiffTests {
    private func lines(_ range: ClosedRange<Int>, without skipped: Set<Int> = []) -> [String] {
        range.filter { !skipped.contains($0) }.map { "l\($0)" }
    }

    @Test("changes far apart make separate hunks with three lines of context")
    func separateHunks() {
        let old = lines(1...20).joined(separator: "\n")
        let new = (["new"] + lines(1...20, without: [10]) + ["end"]).joined(separator: "\n")
        #expect(
            LineDiff.unified(from: old, to: new, fromLabel: "a", toLabel: "b")
                == "--- a\n+++ b\n@@ -1,3 +1,4 @@\n+new\n l1\n l2\n l3\n@@ -7,7 +8,6 @@\n l7\n l8\n l9\n-l10\n l11\n l12\n l13\n"
                + "@@ -18,3 +18,4 @@\n l18\n l19\n l20\n+end\n")
    }

    @Test("an empty side is numbered from the line before it, as GNU diff does")
    func emptySides() {
        #expect(LineDiff.unified(from: "", to: "x\ny", fromLabel: "a", toLabel: "b") == "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n")
        #expect(LineDiff.unified(from: "x\ny", to: "", fromLabel: "a", toLabel: "b") == "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n")
        #expect(LineDiff.unified(from: "a\nb\nc", to: "a\nc", fromLabel: "a", toLabel: "b") == "--- a\n+++ b\n@@ -1,3 +1,2 @@\n a\n-b\n c\n")
    }

    @Test("the edit script is a shortest one and rebuilds both texts")
    func shortestScript() {
        let a: [Substring] = ["a", "b", "c", "a", "b", "b", "a"]
        let b: [Substring] = ["c", "b", "a", "b", "a", "c"]
        let edits = LineDiff.edits(from: a, to: b)
        #expect(edits.filter { $0.kind != .same }.count == 5)
        #expect(edits.filter { $0.kind != .added }.map(\.text) == a)
        #expect(edits.filter { $0.kind != .removed }.map(\.text) == b)
    }

    @Test("beyond the edit limit the middle is replaced whole, still a correct diff")
    func editLimit() {
        let a = (0..<3_000).map { Substring("a\($0)") }
        let b = (0..<3_000).map { Substring("b\($0)") }
        let edits = LineDiff.edits(from: a, to: b)
        #expect(edits.filter { $0.kind != .added }.map(\.text) == a)
        #expect(edits.filter { $0.kind != .removed }.map(\.text) == b)
    }
}
