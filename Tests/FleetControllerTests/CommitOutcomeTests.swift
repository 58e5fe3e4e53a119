import FleetGit
import FleetModel
import Foundation
import GitFleetTesting
import Testing

@testable import FleetController

/// What `GET /api/v1/commits/{rev}` and `gitfleet wait` answer: the decision over notes, and the walk that
/// finds a commit's descendants and their notes in a real repository.
@Suite struct CommitOutcomeTests {
    static func id(_ digit: Character) -> CommitID { CommitID(hex: String(repeating: digit, count: 40))! }

    static func note(_ result: DeploymentResult, on commit: CommitID) -> (
        commit: CommitID, annotation: StatusAnnotation
    ) {
        (commit, StatusAnnotation(result: result, fleet: "f", controller: "c", at: Date(), revision: commit.hex))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// The commit's own note (or none), then descendants' notes nearest first.
        var own: DeploymentResult?
        var descendants: [DeploymentResult]
        var state: CommitOutcome.State
        /// Index of the deciding note: 0 the commit itself, 1... the descendants.
        var decidedBy: Int?
        var testDescription: String { name }
    }

    @Test(
        "the first settled note decides; until one settles, the newest in progress or the supersession",
        arguments: [
            Case(name: "no note anywhere: pending", own: nil, descendants: [], state: .pending, decidedBy: nil),
            Case(name: "own converged", own: .converged, descendants: [], state: .converged, decidedBy: 0),
            Case(
                name: "own rejected stays rejected after a descendant converged", own: .rejected,
                descendants: [.converged], state: .rejected, decidedBy: 0),
            Case(
                name: "superseded, the descendant rolled back", own: .superseded, descendants: [.rolledBack],
                state: .rolledBack, decidedBy: 1),
            Case(name: "superseded alone", own: .superseded, descendants: [], state: .superseded, decidedBy: 0),
            Case(
                name: "superseded, the descendant in progress", own: .superseded, descendants: [.inProgress],
                state: .inProgress, decidedBy: 1),
            Case(
                name: "never noted, a descendant converged", own: nil, descendants: [.superseded, .converged],
                state: .converged, decidedBy: 2),
            Case(
                name: "a note left in progress by a crash, a descendant converged", own: .inProgress,
                descendants: [.converged], state: .converged, decidedBy: 1),
            Case(
                name: "the nearest settled descendant decides", own: nil, descendants: [.failed, .converged],
                state: .failed, decidedBy: 1),
        ])
    func decision(_ example: Case) {
        let commit = Self.id("a")
        let descendants = ["b", "c", "d"].map { Self.id(Character($0)) }
        var notes = example.own.map { [Self.note($0, on: commit)] } ?? []
        for (index, result) in example.descendants.enumerated() {
            notes.append(Self.note(result, on: descendants[index]))
        }
        let outcome = CommitOutcome.decide(commit: commit, notes: notes)
        #expect(outcome.state == example.state)
        #expect(outcome.commit == commit.hex)
        let expected = example.decidedBy.map { $0 == 0 ? commit : descendants[$0 - 1] }
        #expect(outcome.handledAs == expected)
        #expect(outcome.annotation?.revision == expected?.hex)
    }

    @Test("descendants are found through merges, and notes on them decide; side commits never merged do not")
    func repositoryWalk() async throws {
        let directory = try TemporaryDirectory()
        let git = try GitFixture.create(at: directory.appending("fleet"))
        func commit(_ message: String) throws -> CommitID {
            try git.write("\(message).txt", "\(message)\n")
            return try #require(CommitID(hex: try git.commit(message)))
        }
        // main: a - b - c - merge(side: x) - d;  y on an unmerged branch off b.
        let a = try commit("a")
        let b = try commit("b")
        try git.branch("side")
        try git.branch("other")
        let c = try commit("c")
        try git.checkout("side")
        let x = try commit("x")
        try git.checkout("other")
        let y = try commit("y")
        try git.checkout("main")
        _ = try git.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
        let merge = try #require(CommitID(hex: try git.revParse("HEAD")))
        let d = try commit("d")

        let repository = TrackedRepository(
            location: .init(
                repository: git.path, branch: "main", credentials: .none, cacheRoot: directory.appending("cache"),
                layout: FleetLayout()),
            networkTimeout: .seconds(30))
        let ref = "refs/notes/gitfleet"
        let author = CommitInfo.Signature(name: "test", email: "t@gitfleet.invalid", date: Date(), utcOffsetMinutes: 0)
        func annotate(_ commit: CommitID, _ result: DeploymentResult) async throws {
            let annotation = StatusAnnotation(
                result: result, fleet: "f", controller: "c", at: Date(timeIntervalSince1970: 1_790_000_000),
                revision: commit.hex, reason: result == .converged ? nil : "because")
            try await repository.setNote(annotation.yaml(), on: commit, ref: ref, author: author)
        }
        try await annotate(a, .converged)
        try await annotate(b, .superseded)
        try await annotate(y, .failed)

        #expect(try await repository.commitOutcome(of: a.hex, notesRef: ref).state == .converged)
        // Noted nowhere after b on main yet.
        let waiting = try await repository.commitOutcome(of: b.hex, notesRef: ref)
        #expect(waiting.state == .superseded)
        #expect(waiting.handledAs == b)
        #expect(try await repository.commitOutcome(of: x.hex, notesRef: ref).state == .pending)

        try await annotate(d, .converged)
        for asked in [b, c, x, merge] {
            let outcome = try await repository.commitOutcome(of: asked.hex, notesRef: ref)
            #expect(outcome.state == .converged, "\(asked)")
            #expect(outcome.handledAs == d, "\(asked)")
        }
        // y's own note decides; main's notes say nothing of a commit main never merged.
        #expect(try await repository.commitOutcome(of: y.hex, notesRef: ref).state == .failed)
        let prefix = try await repository.commitOutcome(of: String(c.hex.prefix(10)).uppercased(), notesRef: ref)
        #expect(prefix.commit == c.hex)
        #expect(prefix.handledAs == d)

        let missing = try await repository.commitOutcome(of: String(repeating: "0", count: 40), notesRef: ref)
        #expect(missing.state == .unknown)
        #expect(missing.handledAs == nil)
        await #expect(throws: GitError.self) { try await repository.commitOutcome(of: "main", notesRef: ref) }
        await #expect(throws: GitError.self) { try await repository.commitOutcome(of: "abc", notesRef: ref) }
    }

    @Test("descendants(of:upTo:) lists nearest first and nothing for a commit off the branch")
    func descendantsOrder() throws {
        let directory = try TemporaryDirectory()
        let git = try GitFixture.create(at: directory.appending("fleet"))
        var commits: [CommitID] = []
        for index in 0..<4 {
            try git.write("f", "\(index)\n")
            commits.append(try #require(CommitID(hex: try git.commit("\(index)"))))
        }
        let repository = try GitRepository.open(at: git.path)
        #expect(try repository.descendants(of: commits[0], upTo: commits[3]) == Array(commits[1...]))
        #expect(try repository.descendants(of: commits[3], upTo: commits[3]).isEmpty)
        #expect(try repository.descendants(of: commits[3], upTo: commits[1]).isEmpty)
    }
}
