import Foundation
import GitFleetTesting
import Testing

@testable import FleetGit

/// A bare remote with history on two branches and a tag, and two independent clones of it: two writers.
private struct NotesSetup {
    let directory: TemporaryDirectory
    let remote: GitFixture
    let seed: GitFixture
    let commits: [CommitID]
    let first: GitFixture
    let second: GitFixture

    init() throws {
        directory = try TemporaryDirectory()
        remote = try GitFixture.createBare(at: directory.appending("remote.git"))
        seed = try GitFixture.create(at: directory.appending("seed"))
        var commits: [CommitID] = []
        for version in 1...3 {
            try seed.write("services/web.yaml", "image: shop/web:\(version).0\n")
            commits.append(try #require(CommitID(hex: try seed.commit("Web \(version).0"))))
        }
        self.commits = commits
        try seed.branch("release", at: commits[0].hex)
        try seed.tag("v1", at: commits[0].hex, message: "Version 1")
        try seed.addRemote("origin", url: remote.fileURL)
        try seed.push("origin", "main", "release", "--tags")
        first = try Self.clone(remote, as: directory.appending("first"), with: seed)
        second = try Self.clone(remote, as: directory.appending("second"), with: seed)
    }

    private static func clone(_ remote: GitFixture, as path: String, with seed: GitFixture) throws -> GitFixture {
        try seed.git("clone", "-q", remote.fileURL, path)
        return GitFixture.existing(at: path, bare: false)
    }

    /// Every ref of the remote with its target, to show a notes push changed nothing else.
    func remoteRefs() throws -> [String: String] {
        let lines = try remote.git("for-each-ref", "--format=%(refname) %(objectname)").split(separator: "\n")
        return Dictionary(
            uniqueKeysWithValues: lines.map { line in
                let parts = line.split(separator: " ")
                return (String(parts[0]), String(parts[1]))
            })
    }
}

private func signature(_ name: String, at seconds: Int) -> CommitInfo.Signature {
    CommitInfo.Signature(
        name: name, email: "\(name)@gitfleet.invalid", date: Date(timeIntervalSince1970: TimeInterval(seconds)),
        utcOffsetMinutes: 0)
}

private func status(_ result: String, controller: String) -> String {
    "gitfleet: v1\nresult: \(result)\nfleet: production\ncontroller: \(controller)\n"
}

@Suite struct GitNotesTests {
    @Test func aNoteIsWrittenReplacedAndReadByTheGitCLI() throws {
        let setup = try NotesSetup()
        let repository = try GitRepository.open(at: setup.first.path)
        let commit = setup.commits[1]
        #expect(try repository.note(on: commit) == nil)

        try repository.setNote(
            status("in-progress", controller: "c1"), on: commit, author: signature("controller", at: 1_700_100_000))
        #expect(try repository.note(on: commit) == status("in-progress", controller: "c1"))
        #expect(
            try setup.first.git("notes", "--ref=gitfleet", "show", commit.hex)
                == status("in-progress", controller: "c1"))
        let log = try setup.first.git("log", "--notes=gitfleet", "-1", commit.hex)
        #expect(log.contains("Notes (gitfleet):"))
        #expect(log.contains("result: in-progress"))

        try repository.setNote(
            status("converged", controller: "c1"), on: commit, author: signature("controller", at: 1_700_100_060))
        #expect(try repository.note(on: commit) == status("converged", controller: "c1"))
        #expect(
            try setup.first.git("notes", "--ref=gitfleet", "show", commit.hex) == status("converged", controller: "c1"))
        // Replacing adds a notes commit on top, so the audit trail keeps the earlier state.
        #expect(try setup.first.git("rev-list", "--count", "refs/notes/gitfleet") == "2\n")
        #expect(
            try setup.first.git("log", "-1", "--format=%an <%ae> %at", "refs/notes/gitfleet")
                == "controller <controller@gitfleet.invalid> 1700100060\n")
        #expect(try setup.first.git("show", "refs/notes/gitfleet~1:\(commit.hex)").contains("in-progress"))
        // Branches and their commits are untouched.
        #expect(try setup.first.revParse("main") == setup.commits[2].hex)
    }

    @Test func notesAreListedWhoeverWroteThem() throws {
        let setup = try NotesSetup()
        let repository = try GitRepository.open(at: setup.first.path)
        #expect(try repository.notes().isEmpty)
        try repository.setNote("first\n", on: setup.commits[0], author: signature("controller", at: 1_700_100_000))
        try repository.setNote("second\n", on: setup.commits[2], author: signature("controller", at: 1_700_100_001))
        try setup.first.git("notes", "--ref=gitfleet", "add", "-m", "by a person", setup.commits[1].hex)
        try repository.setNote(
            "other ref\n", on: setup.commits[0], ref: "refs/notes/other", author: signature("x", at: 1))

        let listed = try repository.notes()
        let expected = [
            (setup.commits[0], "first\n"), (setup.commits[1], "by a person\n"), (setup.commits[2], "second\n"),
        ]
        .sorted { $0.0 < $1.0 }
        #expect(listed.map(\.commit) == expected.map(\.0))
        #expect(listed.map(\.text) == expected.map(\.1))
        #expect(try repository.notes(ref: "refs/notes/other").map(\.text) == ["other ref\n"])
    }

    @Test(arguments: ["refs/heads/main", "refs/tags/v1", "gitfleet", "refs/notes/", "refs/remotes/origin/main"])
    func refsOutsideRefsNotesAreRefused(ref: String) throws {
        let setup = try NotesSetup()
        let repository = try GitRepository.open(at: setup.first.path)
        let before = try setup.remoteRefs()
        let localMain = try setup.first.revParse("main")
        let writeError = try #require(throws: GitError.self) {
            try repository.setNote("x", on: setup.commits[0], ref: ref, author: signature("c", at: 1))
        }
        #expect(writeError.code == .invalidInput)
        let pushError = try #require(throws: GitError.self) { try repository.pushNotes(ref: ref) }
        #expect(pushError.code == .invalidInput)
        #expect(try setup.remoteRefs() == before)
        #expect(try setup.first.revParse("main") == localMain)
    }

    @Test func aNoteOnAnUnknownCommitIsRefused() throws {
        let setup = try NotesSetup()
        let repository = try GitRepository.open(at: setup.first.path)
        let unknown = try #require(CommitID(hex: String(repeating: "ab", count: 20)))
        let error = try #require(throws: GitError.self) {
            try repository.setNote("x", on: unknown, author: signature("c", at: 1))
        }
        #expect(error.code == .notFound)
    }

    @Test func pushingNotesUpdatesOnlyTheNotesRefOnTheRemote() throws {
        let setup = try NotesSetup()
        let before = try setup.remoteRefs()
        let repository = try GitRepository.open(at: setup.first.path)
        try repository.setNote(
            status("converged", controller: "c1"), on: setup.commits[2], author: signature("c1", at: 1_700_100_000))
        // A local branch that is ahead of the remote must stay unpushed.
        try setup.first.write("services/api.yaml", "image: shop/api:1.0\n")
        try setup.first.commit("Add api (not pushed)")

        let sync = try repository.pushNotes()
        #expect(sync.pushed)
        #expect(!sync.merged)
        #expect(sync.attempts == 1)
        #expect(
            try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[2].hex)
                == status("converged", controller: "c1"))
        let after = try setup.remoteRefs()
        #expect(after.filter { $0.key != "refs/notes/gitfleet" } == before)
        #expect(after["refs/notes/gitfleet"] == sync.tip?.hex)
        #expect(try setup.remote.git("log", "--notes=gitfleet", "-1", "main").contains("result: converged"))

        let again = try repository.pushNotes()
        #expect(!again.pushed)
        #expect(try setup.remoteRefs() == after)
    }

    @Test func twoWritersOnDifferentCommitsBothSurvive() throws {
        let setup = try NotesSetup()
        let before = try setup.remoteRefs()
        let first = try GitRepository.open(at: setup.first.path)
        let second = try GitRepository.open(at: setup.second.path)
        try first.setNote("from first\n", on: setup.commits[0], author: signature("first", at: 1_700_100_000))
        try second.setNote("from second\n", on: setup.commits[1], author: signature("second", at: 1_700_100_010))

        #expect(try first.pushNotes().pushed)
        let sync = try second.pushNotes()
        #expect(sync.pushed)
        #expect(sync.merged)
        #expect(sync.conflicts.isEmpty)

        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[0].hex) == "from first\n")
        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[1].hex) == "from second\n")
        // The merge descends from both writers' notes commits, so neither history was rewritten.
        #expect(
            try setup.remote.git("rev-list", "--parents", "-1", "refs/notes/gitfleet").split(separator: " ").count == 3)
        #expect(try setup.remoteRefs().filter { $0.key != "refs/notes/gitfleet" } == before)

        let fetched = try first.fetchNotes()
        #expect(!fetched.merged)
        #expect(try first.notes().map(\.text).sorted() == ["from first\n", "from second\n"])
        #expect(try setup.first.git("notes", "--ref=gitfleet", "show", setup.commits[1].hex) == "from second\n")
    }

    /// Both writers annotate the same commit; the later note wins whichever order they push in, the conflict is
    /// reported, and the earlier text stays in the remote's notes history.
    @Test(arguments: [true, false])
    func twoWritersOnTheSameCommitKeepTheNewerNoteAndLoseNothing(newerPushesFirst: Bool) throws {
        let setup = try NotesSetup()
        let older = try GitRepository.open(at: setup.first.path)
        let newer = try GitRepository.open(at: setup.second.path)
        let commit = setup.commits[2]
        let olderText = status("in-progress", controller: "old-leader")
        let newerText = status("converged", controller: "new-leader")
        try older.setNote(olderText, on: commit, author: signature("old-leader", at: 1_700_100_000))
        try newer.setNote(newerText, on: commit, author: signature("new-leader", at: 1_700_100_100))

        let sync: NotesSync
        if newerPushesFirst {
            try newer.pushNotes()
            sync = try older.pushNotes()
            #expect(sync.conflicts.map(\.kept) == [.remote])
        } else {
            try older.pushNotes()
            sync = try newer.pushNotes()
            #expect(sync.conflicts.map(\.kept) == [.local])
        }
        #expect(sync.pushed)
        #expect(sync.conflicts.map(\.commit) == [commit])
        #expect(sync.conflicts.map(\.keptText) == [newerText])
        #expect(sync.conflicts.map(\.replacedText) == [olderText])

        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", commit.hex) == newerText)
        let history = try setup.remote.git("log", "-p", "refs/notes/gitfleet")
        #expect(history.contains("controller: old-leader"))
        #expect(try setup.remote.git("log", "-1", "--format=%B", "refs/notes/gitfleet").contains(commit.hex))
        #expect(try older.fetchNotes().tip?.hex == (try setup.remote.revParse("refs/notes/gitfleet")))
        #expect(try older.note(on: commit) == newerText)
    }

    @Test func aPushRejectedBecauseTheRemoteMovedIsRetried() throws {
        let setup = try NotesSetup()
        let before = try setup.remoteRefs()
        let repository = try GitRepository.open(at: setup.first.path)
        let racer = try GitRepository.open(at: setup.second.path)
        try repository.setNote("mine\n", on: setup.commits[0], author: signature("first", at: 1_700_100_000))
        var raced: [Int] = []
        let sync = try repository.pushNotes(
            ref: "refs/notes/gitfleet", remote: "origin", credentials: nil, maxAttempts: 5
        ) {
            attempt in
            guard attempt == 1 else { return }
            // Another writer pushes after our fetch and merge, so our push is no longer a fast-forward.
            try racer.setNote("racer\n", on: setup.commits[1], author: signature("racer", at: 1_700_100_005))
            #expect(try racer.pushNotes().pushed)
            raced.append(attempt)
        }
        #expect(raced == [1])
        #expect(sync.attempts == 2)
        #expect(sync.pushed)
        #expect(sync.merged)
        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[0].hex) == "mine\n")
        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[1].hex) == "racer\n")
        #expect(try setup.remoteRefs().filter { $0.key != "refs/notes/gitfleet" } == before)
    }

    @Test func aRemoteThatKeepsMovingExhaustsTheAttemptsWithoutLosingItsNotes() throws {
        let setup = try NotesSetup()
        let repository = try GitRepository.open(at: setup.first.path)
        let racer = try GitRepository.open(at: setup.second.path)
        try repository.setNote("mine\n", on: setup.commits[0], author: signature("first", at: 1_700_100_000))
        let error = try #require(throws: GitError.self) {
            try repository.pushNotes(ref: "refs/notes/gitfleet", remote: "origin", credentials: nil, maxAttempts: 2) {
                attempt in
                try racer.setNote(
                    "racer \(attempt)\n", on: setup.commits[attempt],
                    author: signature("racer", at: 1_700_100_000 + attempt))
                try racer.pushNotes()
            }
        }
        #expect(error.code == .rejected)
        #expect(error.message.contains("2 times"))
        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[1].hex) == "racer 1\n")
        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[2].hex) == "racer 2\n")
        #expect(throws: CommandFailure.self) {
            try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[0].hex)
        }
        // The local notes still hold our note, merged with what was fetched, ready for the next push.
        #expect(try repository.note(on: setup.commits[0]) == "mine\n")
    }

    @Test func anUnknownRemoteIsNotFound() throws {
        let setup = try NotesSetup()
        let repository = try GitRepository.open(at: setup.first.path)
        try repository.setNote("x\n", on: setup.commits[0], author: signature("c", at: 1))
        let error = try #require(throws: GitError.self) { try repository.pushNotes(remote: "upstream") }
        #expect(error.code == .notFound)
    }

    /// A remote that runs real receive-pack (git daemon over git://) and whose pre-receive hook declines the first
    /// push: libgit2 reports that only through the per-ref push status, which must count as a rejection to retry.
    @Test func aRejectionReportedThroughThePushStatusIsRetried() throws {
        let setup = try NotesSetup()
        let marker = setup.directory.appending("declined-once")
        let hook = setup.remote.path + "/hooks/pre-receive"
        try """
        #!/bin/sh
        if [ ! -e '\(marker)' ]; then touch '\(marker)'; echo 'not now' >&2; exit 1; fi
        exit 0
        """.write(toFile: hook, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let daemon = try GitDaemon(basePath: setup.directory.path, probe: "remote.git")
        defer { daemon.stop() }
        let url = "git://127.0.0.1:\(daemon.port)/remote.git"
        try setup.first.addRemote("daemon", url: url)
        let before = try setup.remoteRefs()

        let repository = try GitRepository.open(at: setup.first.path)
        try repository.setNote("via daemon\n", on: setup.commits[1], author: signature("c1", at: 1_700_100_000))
        let sync = try repository.pushNotes(remote: "daemon")
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect(sync.attempts == 2)
        #expect(sync.pushed)
        #expect(try setup.remote.git("notes", "--ref=gitfleet", "show", setup.commits[1].hex) == "via daemon\n")
        #expect(try setup.remoteRefs().filter { $0.key != "refs/notes/gitfleet" } == before)
    }
}
