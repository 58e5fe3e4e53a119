import Foundation
import GitFleetTesting
import Testing

@testable import FleetGit

@Suite struct GitRepositoryReadTests {
    @Test func opensWorkTreeAndBareRepositories() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        #expect(!repository.isBare)
        #expect(try repository.resolve("HEAD").hex == history.second)

        let bare = try GitFixture.createBare(at: history.directory.appending("bare.git"))
        try history.fixture.addRemote("origin", url: bare.fileURL)
        try history.fixture.push("origin", "main")
        let bareRepository = try GitRepository.open(at: bare.path)
        #expect(bareRepository.isBare)
        #expect(try bareRepository.resolve("main").hex == history.second)
    }

    @Test func openingAMissingRepositoryIsNotFound() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(throws: GitError.self) { try GitRepository.open(at: directory.appending("none")) }
        #expect(error.code == .notFound)
    }

    enum Expected: String, CaseIterable {
        case first, second
    }

    @Test(arguments: [
        ("main", Expected.second), ("HEAD", .second), ("stable", .first), ("v1", .first), ("release-1", .first),
        ("refs/tags/release-1", .first), ("main~1", .first),
    ])
    func resolvesRevisions(revision: String, expected: Expected) throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let want = expected == .first ? history.first : history.second
        #expect(try repository.resolve(revision).hex == want)
    }

    @Test func resolvesFullAndShortCommitIDs() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        #expect(try repository.resolve(history.first).hex == history.first)
        #expect(try repository.resolve(String(history.first.prefix(10))).hex == history.first)
        #expect(try repository.resolve(history.first.uppercased()).hex == history.first)
    }

    @Test(arguments: ["no-such-branch", "0123456789abcdef0123456789abcdef01234567", "main~5"])
    func unknownRevisionsAreNotFound(revision: String) throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let error = try #require(throws: GitError.self) { try repository.resolve(revision) }
        #expect(error.code == .notFound)
        #expect(error.description.contains(revision))
    }

    @Test func aNameThatIsBothBranchAndTagIsAmbiguous() throws {
        let history = try FleetHistory()
        try history.fixture.tag("stable-or-tag", at: history.second)
        try history.fixture.branch("stable-or-tag", at: history.first)
        let repository = try GitRepository.open(at: history.fixture.path)
        let error = try #require(throws: GitError.self) { try repository.resolve("stable-or-tag") }
        #expect(error.code == .ambiguous)
        #expect(try repository.resolve("refs/tags/stable-or-tag").hex == history.second)
    }

    @Test func aRevisionThatIsNotACommitIsInvalidInput() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let error = try #require(throws: GitError.self) { try repository.resolve("main:services") }
        #expect(error.code == .invalidInput)
    }

    @Test func readsCommitMetadata() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let info = try repository.commit(try #require(CommitID(hex: history.second)))
        #expect(info.summary == "Scale web, replace db by cache, move docs")
        #expect(info.author.name == "Fleet Tester")
        #expect(info.author.email == "tester@gitfleet.invalid")
        #expect(info.committer.name == "Fleet Tester")
        #expect(info.author.date.timeIntervalSince1970 > TimeInterval(GitFixture.epoch))
        #expect(info.parentIDs.map(\.hex) == [history.first])
        #expect(try repository.commit(try #require(CommitID(hex: history.first))).parentIDs.isEmpty)
    }

    @Test func listsFilesAtAnOlderCommitIgnoringTheWorkTree() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let files = try repository.files(at: try #require(CommitID(hex: history.first)), under: "services")
        let byPath = Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0) })
        #expect(Set(byPath.keys) == ["services/web.yaml", "services/db.yaml", "services/current.yaml"])
        #expect(byPath["services/web.yaml"]?.kind == .regular)
        #expect(byPath["services/web.yaml"]?.size == FleetHistory.webV1.utf8.count)
        #expect(byPath["services/current.yaml"]?.kind == .symlink)
        #expect(byPath["services/current.yaml"]?.size == "web.yaml".utf8.count)
        let expectedBlob = try history.fixture.git("rev-parse", "\(history.first):services/web.yaml")
        #expect(byPath["services/web.yaml"]?.blobID == expectedBlob.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func listsTheWholeTreeRecursivelyWithKinds() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let files = try repository.files(at: try repository.resolve("v1"))
        #expect(
            files.map(\.path).sorted() == [
                "README.md", "scripts/deploy.sh", "services/current.yaml", "services/db.yaml", "services/web.yaml",
            ])
        #expect(files.first { $0.path == "scripts/deploy.sh" }?.kind == .executable)
        #expect(try repository.files(at: try repository.resolve("v1"), under: "/").count == 5)
    }

    @Test func aPathNamingAFileListsThatFile() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let files = try repository.files(at: try repository.resolve("main"), under: "services/web.yaml")
        #expect(files.map(\.path) == ["services/web.yaml"])
        #expect(files.first?.size == FleetHistory.webV2.utf8.count)
    }

    @Test func aMissingPathIsNotFound() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let error = try #require(throws: GitError.self) {
            try repository.files(at: try repository.resolve("main"), under: "servces")
        }
        #expect(error.code == .notFound)
        #expect(error.message.contains("servces"))
    }

    @Test func readsBlobsAndRefusesOversizedOnes() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let files = try repository.files(at: try repository.resolve("v1"))
        let web = try #require(files.first { $0.path == "services/web.yaml" })
        #expect(try repository.blob(web.blobID, maxSize: 1024) == Array(FleetHistory.webV1.utf8))
        #expect(try repository.contents(of: web, maxSize: 1024) == Array(FleetHistory.webV1.utf8))
        let link = try #require(files.first { $0.path == "services/current.yaml" })
        #expect(try repository.contents(of: link, maxSize: 1024) == Array("web.yaml".utf8))

        let readme = try #require(files.first { $0.path == "README.md" })
        let error = try #require(throws: GitError.self) { try repository.blob(readme.blobID, maxSize: 100) }
        #expect(error.code == .tooLarge)
        #expect(error.message.contains("\(FleetHistory.readme.utf8.count)"))
        #expect(throws: GitError.self) { try repository.contents(of: readme, maxSize: 100) }
    }

    @Test func rejectsMalformedAndMissingBlobIDs() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let malformed = try #require(throws: GitError.self) { try repository.blob("xyz", maxSize: 10) }
        #expect(malformed.code == .invalidInput)
        let missing = try #require(throws: GitError.self) {
            try repository.blob(String(repeating: "ab", count: 20), maxSize: 10)
        }
        #expect(missing.code == .notFound)
        let notABlob = try #require(throws: GitError.self) { try repository.blob(history.first, maxSize: 10_000) }
        #expect(notABlob.code == .invalidInput)
    }

    @Test func reportsChangedPathsWithRenames() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let first = try #require(CommitID(hex: history.first))
        let second = try #require(CommitID(hex: history.second))
        let changes = Set(try repository.changedPaths(from: first, to: second))
        #expect(
            changes == [
                ChangedPath(status: .modified, oldPath: "services/web.yaml", newPath: "services/web.yaml"),
                ChangedPath(status: .added, oldPath: nil, newPath: "services/cache.yaml"),
                ChangedPath(status: .deleted, oldPath: "services/db.yaml", newPath: nil),
                ChangedPath(status: .renamed, oldPath: "README.md", newPath: "docs/README.md"),
            ])

        let services = Set(try repository.changedPaths(from: first, to: second, under: "services/").map(\.path))
        #expect(services == ["services/web.yaml", "services/cache.yaml", "services/db.yaml"])
        #expect(try repository.changedPaths(from: first, to: first).isEmpty)
        #expect(try repository.changedPaths(from: first, to: second, under: "serv").isEmpty)
    }

    @Test func detectsAncestry() throws {
        let history = try FleetHistory()
        let repository = try GitRepository.open(at: history.fixture.path)
        let first = try #require(CommitID(hex: history.first))
        let second = try #require(CommitID(hex: history.second))
        #expect(try repository.isAncestor(first, of: second))
        #expect(try !repository.isAncestor(second, of: first))
        #expect(try repository.isAncestor(second, of: second))

        // A rewritten history: a sibling of `second` does not descend from it.
        try history.fixture.git("checkout", "-q", "-f", "stable")
        let rewritten = try #require(CommitID(hex: try history.fixture.commit("Rewritten")))
        #expect(try !repository.isAncestor(second, of: rewritten))
        #expect(try repository.isAncestor(first, of: rewritten))
    }

    @Test func commitIDsValidateAndRoundTripThroughCodable() throws {
        #expect(CommitID(hex: "abc") == nil)
        #expect(CommitID(hex: String(repeating: "g", count: 40)) == nil)
        let id = try #require(CommitID(hex: String(repeating: "AB", count: 20)))
        #expect(id.hex == String(repeating: "ab", count: 20))
        let data = try JSONEncoder().encode([id])
        #expect(try JSONDecoder().decode([CommitID].self, from: data) == [id])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([CommitID].self, from: Data("[\"x\"]".utf8)) }
    }
}
