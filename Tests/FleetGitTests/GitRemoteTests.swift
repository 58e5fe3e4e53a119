import Foundation
import GitFleetTesting
import Testing

@testable import FleetGit

/// A work repository and a bare remote it pushes to, in one temporary directory.
struct RemoteSetup {
    let directory: TemporaryDirectory
    let work: GitFixture
    let remote: GitFixture
    let first: String
    var cacheRoot: String { directory.appending("cache") }

    init() throws {
        directory = try TemporaryDirectory()
        remote = try GitFixture.createBare(at: directory.appending("remote.git"))
        work = try GitFixture.create(at: directory.appending("work"))
        try work.write("services/web.yaml", "image: shop/web:1.0\n")
        first = try work.commit("Add web")
        try work.tag("v1", message: "Version 1")
        try work.addRemote("origin", url: remote.fileURL)
        try work.push("origin", "main", "--tags")
    }
}

@Suite struct GitRemoteTests {
    @Test func clonesBareIntoTheCacheAndFetchSeesNewCommits() throws {
        let setup = try RemoteSetup()
        let cache = try GitRepository.openOrClone(
            url: setup.remote.fileURL, cacheRoot: setup.cacheRoot, credentials: .none)
        #expect(cache.isBare)
        #expect(cache.gitDirectory.hasPrefix(setup.cacheRoot))
        #expect(try cache.resolve("main").hex == setup.first)
        #expect(try cache.resolve("HEAD").hex == setup.first)
        #expect(try cache.resolve("v1").hex == setup.first)
        #expect(cache.originURL == setup.remote.fileURL)

        try setup.work.write("services/web.yaml", "image: shop/web:2.0\n")
        let second = try setup.work.commit("Web 2.0")
        try setup.work.push("origin", "main")
        #expect(try cache.resolve("main").hex == setup.first)
        try cache.fetch()
        #expect(try cache.resolve("main").hex == second)
        let files = try cache.files(at: try cache.resolve("main"), under: "services")
        #expect(try files.map { try cache.contents(of: $0, maxSize: 100) } == [Array("image: shop/web:2.0\n".utf8)])
    }

    @Test func openOrCloneReusesTheCacheAndLeavesNoStagingDirectories() throws {
        let setup = try RemoteSetup()
        let url = setup.remote.fileURL
        let directory = GitRepository.cacheDirectory(for: url, under: setup.cacheRoot)
        #expect(directory == GitRepository.cacheDirectory(for: url, under: setup.cacheRoot))
        #expect(directory != GitRepository.cacheDirectory(for: url + "x", under: setup.cacheRoot))
        #expect((directory as NSString).lastPathComponent.hasPrefix("remote-"))

        _ = try GitRepository.openOrClone(url: url, cacheRoot: setup.cacheRoot, credentials: .none)
        let again = try GitRepository.openOrClone(url: url, cacheRoot: setup.cacheRoot, credentials: .none)
        #expect(again.gitDirectory.hasPrefix(directory))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: setup.cacheRoot) == [
                (directory as NSString).lastPathComponent
            ])
    }

    @Test func aFailedCloneLeavesNothingBehind() throws {
        let setup = try RemoteSetup()
        let url = URL(fileURLWithPath: setup.directory.appending("missing.git")).absoluteString
        #expect(throws: GitError.self) {
            try GitRepository.openOrClone(url: url, cacheRoot: setup.cacheRoot, credentials: .none)
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: setup.cacheRoot)) ?? []
        #expect(leftovers.isEmpty)
    }

    @Test func branchesResolveToTheFetchedRemoteTrackingRefNotAStaleLocalBranch() throws {
        let setup = try RemoteSetup()
        let cache = try GitRepository.openOrClone(
            url: setup.remote.fileURL, cacheRoot: setup.cacheRoot, credentials: .none)
        let cacheFixture = GitFixture.existing(at: cache.gitDirectory, bare: true)
        try cacheFixture.git("branch", "main", setup.first)

        try setup.work.write("services/db.yaml", "image: postgres:16\n")
        let second = try setup.work.commit("Add db")
        try setup.work.push("origin", "main")
        try cache.fetch()
        #expect(try cache.resolve("main").hex == second)
    }

    @Test func fetchFollowsRewrittenBranchesMovedTagsAndDeletions() throws {
        let setup = try RemoteSetup()
        try setup.work.branch("feature")
        try setup.work.push("origin", "feature")
        let cache = try GitRepository.openOrClone(
            url: setup.remote.fileURL, cacheRoot: setup.cacheRoot, credentials: .none)
        #expect(try cache.resolve("feature").hex == setup.first)

        // Rewrite main (amend), move the tag, delete the feature branch.
        try setup.work.write("services/web.yaml", "image: shop/web:1.0-amended\n")
        try setup.work.git("commit", "-q", "--amend", "-m", "Add web (amended)")
        let amended = try setup.work.revParse("HEAD")
        try setup.work.git("tag", "-f", "-a", "v1", "-m", "Version 1 again")
        try setup.work.push("origin", "+main", "+refs/tags/v1", ":feature")

        try cache.fetch()
        let main = try cache.resolve("main")
        #expect(main.hex == amended)
        #expect(try cache.resolve("v1").hex == amended)
        #expect(try !cache.isAncestor(try #require(CommitID(hex: setup.first)), of: main))
        let error = try #require(throws: GitError.self) { try cache.resolve("feature") }
        #expect(error.code == .notFound)
    }

    @Test func remoteHeadLookupSeesANewCommitWithoutFetchingIt() throws {
        let setup = try RemoteSetup()
        let cache = try GitRepository.openOrClone(
            url: setup.remote.fileURL, cacheRoot: setup.cacheRoot, credentials: .none)
        #expect(
            try GitRemoteHead.lookup(url: setup.remote.fileURL, branch: "main", credentials: .none)?.hex == setup.first)

        try setup.work.write("services/web.yaml", "image: shop/web:3.0\n")
        let second = try #require(CommitID(hex: try setup.work.commit("Web 3.0")))
        try setup.work.push("origin", "main")

        let head = try GitRemoteHead.lookup(url: setup.remote.fileURL, branch: "main", credentials: .none)
        #expect(head == second)
        #expect(try !cache.contains(second))
        #expect(try cache.resolve("main").hex == setup.first)
        #expect(try GitRemoteHead.lookup(url: setup.remote.fileURL, branch: "nope", credentials: .none) == nil)
        #expect(try GitRemoteHead.lookup(url: setup.remote.fileURL, branch: "refs/tags/v1", credentials: .none) != nil)

        try cache.fetch()
        #expect(try cache.contains(second))
    }

    @Test func libgit2SupportsTheRemoteTransportsWeNeed() {
        #expect(Libgit2.supportsSSH)
        #expect(Libgit2.supportsHTTPS)
    }
}
