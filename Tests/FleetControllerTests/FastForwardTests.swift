import FleetController
import FleetGit
import GitFleetTesting
import Testing

@Suite("History rewrite detection")
struct FastForwardTests {
    @Test("a descendant is a fast-forward; a commit off a rewritten branch is not")
    func fastForward() throws {
        let directory = try TemporaryDirectory()
        let fixture = try GitFixture.create(at: directory.appending("fleet"))
        let base = try #require(CommitID(hex: try fixture.commit("Base")))
        let deployed = try #require(CommitID(hex: try fixture.commit("Deployed")))
        let next = try #require(CommitID(hex: try fixture.commit("Next")))
        // A force-push: the branch is reset to the base and takes a different commit.
        try fixture.git("reset", "-q", "--hard", base.hex)
        let rewritten = try #require(CommitID(hex: try fixture.commit("Rewritten")))
        let repository = try GitRepository.open(at: fixture.path)

        #expect(try repository.isFastForward(from: deployed, to: next))
        #expect(try repository.isFastForward(from: deployed, to: deployed))
        #expect(try !repository.isFastForward(from: deployed, to: rewritten))
        #expect(try !repository.isFastForward(from: next, to: deployed))
        #expect(try repository.historyRewriteNote(from: deployed, to: next) == nil)
        let note = try #require(try repository.historyRewriteNote(from: deployed, to: rewritten))
        #expect(note.contains("history rewritten: \(rewritten.short) does not descend from"))
        #expect(note.contains(deployed.short))
    }
}
