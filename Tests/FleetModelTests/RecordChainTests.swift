import FleetModel
import Foundation
import Testing

@Suite("The record's hash chain")
struct RecordChainTests {
    /// A chain of `count` notes on commits `c0…`, each linked to the one before, as the controller writes them.
    static func chain(_ count: Int) -> [RecordChain.Note] {
        var notes: [RecordChain.Note] = []
        for index in 0..<count {
            var annotation = StatusAnnotationTests.sample(.converged)
            annotation.revision = commit(index)
            annotation.started = StatusAnnotationTests.at.addingTimeInterval(Double(index) * 60)
            if let previous = notes.last {
                annotation.previous = .init(commit: previous.commit, digest: RecordChain.digest(of: previous.text))
            }
            notes.append(.init(commit: commit(index), text: annotation.yaml(), annotation: annotation))
        }
        return notes
    }

    static func commit(_ index: Int) -> String {
        String(repeating: "c\(index)", count: 20)
    }

    @Test("the digest is sha256 of the whole text, as sha256sum prints it")
    func digest() {
        #expect(
            RecordChain.digest(of: "abc")
                == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("an intact chain has no break and is ordered first to last whatever the listing order")
    func intact() {
        let notes = Self.chain(4)
        #expect(RecordChain.breaks(notes).isEmpty)
        #expect(RecordChain.order(notes.reversed()) == (0..<4).map(Self.commit))
        #expect(RecordChain.order(Array(notes.prefix(1))) == [Self.commit(0)])
        #expect(RecordChain.order([]).isEmpty)
    }

    @Test("a deleted note is named by the commit it was on")
    func deleted() {
        var notes = Self.chain(4)
        notes.remove(at: 2)
        let breaks = RecordChain.breaks(notes)
        #expect(breaks.map(\.commit) == [Self.commit(2)], "\(breaks)")
        #expect(breaks.first?.problem.contains("the note on \(Self.commit(3)) names it") == true)
    }

    @Test("an edited note is named by its commit")
    func edited() {
        var notes = Self.chain(3)
        notes[1].text = notes[1].text.replacingOccurrences(of: "converged", with: "failed")
        let breaks = RecordChain.breaks(notes)
        #expect(breaks.map(\.commit) == [Self.commit(1)], "\(breaks)")
        #expect(breaks.first?.problem.contains("changed after that note was written") == true)
    }

    @Test("a note moved to another commit, a second beginning and a fork are each named")
    func movedUnlinkedForked() {
        var notes = Self.chain(3)
        // Moved: the text of c2's note attached to a new commit.
        notes.append(.init(commit: Self.commit(7), text: notes[2].text, annotation: notes[2].annotation))
        let moved = RecordChain.breaks(notes)
        #expect(moved.contains { $0.commit == Self.commit(7) && $0.problem.contains("moved or copied") }, "\(moved)")
        #expect(moved.contains { $0.commit == Self.commit(1) && $0.problem.contains("record forked") }, "\(moved)")
        // A note written outside the chain.
        var outside = StatusAnnotationTests.sample(.converged)
        outside.revision = Self.commit(8)
        outside.started = StatusAnnotationTests.at.addingTimeInterval(3600)
        let unlinked = Self.chain(2) + [.init(commit: Self.commit(8), text: outside.yaml(), annotation: outside)]
        #expect(
            RecordChain.breaks(unlinked).map(\.commit) == [Self.commit(8)], "\(RecordChain.breaks(unlinked))")
    }

    @Test("notes that are not annotations are left out")
    func foreignNotes() {
        let notes = Self.chain(2) + [.init(commit: Self.commit(9), text: "reviewed by bob\n", annotation: nil)]
        #expect(RecordChain.breaks(notes).isEmpty)
        #expect(RecordChain.order(notes) == [Self.commit(0), Self.commit(1)])
    }
}

/// Every break the chain can report reads in docs/auditing.md's table of breaks as it does in the code.
@Suite("The record's breaks are in docs/auditing.md")
struct RecordChainDocsTests {
    @Test("each kind of chain break is explained where auditors read")
    func breaksDocumented() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/auditing.md")
        let docs = try String(contentsOf: url, encoding: .utf8)
        var deleted = RecordChainTests.chain(3)
        deleted.remove(at: 1)
        var edited = RecordChainTests.chain(2)
        edited[0].text += "# edited\n"
        var forked = RecordChainTests.chain(2)
        var second = forked[1]
        second.commit = RecordChainTests.commit(5)
        second.annotation?.revision = second.commit
        forked.append(second)
        var moved = RecordChainTests.chain(1)
        moved[0].commit = RecordChainTests.commit(6)
        var unlinked = RecordChainTests.chain(1)
        var outside = StatusAnnotationTests.sample(.converged)
        outside.revision = RecordChainTests.commit(8)
        outside.started = StatusAnnotationTests.at.addingTimeInterval(3600)
        unlinked.append(.init(commit: outside.revision, text: outside.yaml(), annotation: outside))
        let problems = [deleted, edited, forked, moved, unlinked].flatMap { RecordChain.breaks($0) }.map(\.problem)
        #expect(problems.count == 5, "\(problems)")
        for problem in problems {
            // The wording up to the first commit id or digest is what the table shows.
            let words = problem.split(separator: " ").prefix { !$0.contains(where: \.isNumber) && !$0.hasPrefix("(") }
                .prefix(4).joined(separator: " ")
            #expect(docs.contains(words), "docs/auditing.md does not explain '\(problem)'")
        }
    }
}
