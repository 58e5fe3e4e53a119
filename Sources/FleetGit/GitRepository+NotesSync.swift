import CLibgit2
import Foundation

/// Sharing notes with a remote: fetch, merge, and push with a non-forced refspec, retrying when another writer
/// got there first.
///
/// Several writers (two controllers, or a person with `git notes`) may add notes to the same ref. A push is
/// therefore never forced: the remote's notes are fetched into a tracking ref, our notes are replayed on top of
/// them in a merge commit that descends from both, and only that fast-forward is pushed. Only the notes ref
/// is ever pushed.
extension GitRepository {
    /// Fetches `ref` from `remote` and merges it into the local notes ref, so `notes(ref:)` and `note(on:ref:)`
    /// see what other writers recorded. Nothing is pushed.
    ///
    /// `credentials` defaults to the repository's. A diverged local ref is merged as `NotesSync.Conflict`
    /// describes.
    @discardableResult
    public func fetchNotes(
        ref: String = "refs/notes/gitfleet", remote: String = "origin", credentials: GitCredentials? = nil
    ) throws -> NotesSync {
        let operation = "fetch notes \(ref) from \(remote)"
        let notesRef = try NotesRef(ref, operation: operation)
        var sync = NotesSync(attempts: 1)
        let remoteTip = try fetchRemoteNotes(
            notesRef, remote: remote, credentials: credentials ?? self.credentials, operation: operation)
        try integrate(remoteTip, into: notesRef, remote: remote, sync: &sync, operation: operation)
        sync.tip = try notesTip(notesRef.name, operation: operation)
        return sync
    }

    /// Publishes the local notes under `ref` to `remote`, merging in notes other writers pushed meanwhile.
    ///
    /// Each round fetches the remote's notes, merges them into the local ref when the two diverged (see
    /// `NotesSync.Conflict` for the policy) and pushes `ref:ref` without `+`, so the remote accepts it only
    /// as a fast-forward and no other writer's note is ever overwritten. A round the remote rejects because
    /// it moved in between (reported by libgit2 as a non-fast-forward error or through the per-ref push status)
    /// is retried, up to `maxAttempts` rounds; then `.rejected` is thrown. No ref other than `ref` is pushed.
    /// Credentials are offered at most `credentials.maxAttempts` times per connection.
    @discardableResult
    public func pushNotes(
        ref: String = "refs/notes/gitfleet", remote: String = "origin", credentials: GitCredentials? = nil,
        maxAttempts: Int = 5
    ) throws -> NotesSync {
        try pushNotes(ref: ref, remote: remote, credentials: credentials, maxAttempts: maxAttempts) { _ in }
    }

    /// `pushNotes` with a hook run just before each push, so tests can make the remote move at that moment.
    func pushNotes(
        ref: String, remote: String, credentials: GitCredentials?, maxAttempts: Int,
        beforePush: (_ attempt: Int) throws -> Void
    ) throws -> NotesSync {
        let operation = "push notes \(ref) to \(remote)"
        let notesRef = try NotesRef(ref, operation: operation)
        let credentials = credentials ?? self.credentials
        var sync = NotesSync()
        var lastRejection = ""
        for attempt in 1...max(1, maxAttempts) {
            sync.attempts = attempt
            let remoteTip = try fetchRemoteNotes(
                notesRef, remote: remote, credentials: credentials, operation: operation)
            try integrate(remoteTip, into: notesRef, remote: remote, sync: &sync, operation: operation)
            sync.tip = try notesTip(notesRef.name, operation: operation)
            guard let local = sync.tip, local != remoteTip else {
                return sync
            }
            try beforePush(attempt)
            guard let rejection = try pushOnce(notesRef, remote: remote, credentials: credentials, operation: operation)
            else {
                sync.pushed = true
                return sync
            }
            lastRejection = rejection
        }
        throw GitError(
            .rejected, operation: operation,
            message: "the remote rejected the notes push \(sync.attempts) times because other writers kept "
                + "updating \(ref) (last reason: \(lastRejection)); try again later")
    }

    // MARK: Transfer

    /// Downloads the remote's notes commit for `notesRef` into the tracking ref and returns it; nil when the
    /// remote has no such ref (the tracking ref is then deleted, so a stale copy is never merged).
    private func fetchRemoteNotes(
        _ notesRef: NotesRef, remote name: String, credentials: GitCredentials, operation: String
    ) throws -> CommitID? {
        let remote = try lookupRemote(name, operation: operation)
        defer { git_remote_free(remote) }
        let url = git_remote_url(remote).map { String(cString: $0) } ?? name
        let tracking = notesRef.trackingRef(remote: name)
        let session = RemoteSession(url: url, credentials: credentials)
        let advertised: CommitID? = try session.withCallbacks { callbacks in
            try session.check(git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, nil), operation)
            defer { git_remote_disconnect(remote) }
            var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
            var count = 0
            try session.check(git_remote_ls(&heads, &count, remote), operation)
            let advertised = (0..<count).lazy.compactMap { heads?[$0]?.pointee }
                .first { $0.name.map { String(cString: $0) } == notesRef.name }
                .map { CommitID($0.oid) }
            if let advertised, try !contains(advertised) {
                var options = git_fetch_options()
                try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), operation)
                options.callbacks = callbacks
                options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
                // Forced only into our private tracking ref: the remote's notes are what they are.
                let result = withStrings(["+\(notesRef.name):\(tracking)"]) {
                    git_remote_download(remote, $0, &options)
                }
                try session.check(result, operation)
            }
            return advertised
        }
        var reference: OpaquePointer?
        if let advertised {
            var oid = advertised.oid
            try check(
                git_reference_create(&reference, handle, tracking, &oid, 1, "gitfleet: fetch notes from \(name)"),
                operation)
            git_reference_free(reference)
        } else if git_reference_lookup(&reference, handle, tracking) == 0 {
            defer { git_reference_free(reference) }
            try check(git_reference_delete(reference), operation)
        }
        return advertised
    }

    /// Pushes `ref:ref` once; returns nil when the remote took it, or the remote's reason for rejecting it.
    private func pushOnce(
        _ notesRef: NotesRef, remote name: String, credentials: GitCredentials, operation: String
    ) throws -> String? {
        let remote = try lookupRemote(name, operation: operation)
        defer { git_remote_free(remote) }
        let url =
            git_remote_pushurl(remote).map { String(cString: $0) }
            ?? git_remote_url(remote).map { String(cString: $0) } ?? name
        let session = RemoteSession(url: url, credentials: credentials)
        return try session.withCallbacks { callbacks in
            var options = git_push_options()
            try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), operation)
            options.callbacks = callbacks
            let result = withStrings([notesRef.pushRefspec]) { git_remote_push(remote, $0, &options) }
            if result == GIT_ENONFASTFORWARD.rawValue {
                // libgit2 compared against the remote's advertised ref and refused before sending anything.
                return git_error_last()?.pointee.message.map { String(cString: $0) } ?? "non-fast-forward"
            }
            try session.check(result, operation)
            return session.rejectedReferences[notesRef.name]
        }
    }

    private func lookupRemote(_ name: String, operation: String) throws -> OpaquePointer {
        var remote: OpaquePointer?
        let result = git_remote_lookup(&remote, handle, name)
        if result == GIT_ENOTFOUND.rawValue || result == GIT_EINVALIDSPEC.rawValue {
            throw GitError(
                .notFound, operation: operation, message: "\(gitDirectory) has no remote named '\(name)'",
                libgit2Class: git_error_last()?.pointee.klass, libgit2Code: result)
        }
        try check(result, operation)
        return remote!
    }

    // MARK: Merging

    /// Brings the local notes ref up to date with `remoteTip`: fast-forwards when only the remote moved, and
    /// merges when both did. Leaves the local ref alone when it already contains the remote's notes.
    private func integrate(
        _ remoteTip: CommitID?, into notesRef: NotesRef, remote: String, sync: inout NotesSync, operation: String
    ) throws {
        guard let remoteTip else { return }
        guard let localTip = try notesTip(notesRef.name, operation: operation) else {
            try moveNotesRef(notesRef, to: remoteTip, from: nil, message: "gitfleet: notes from \(remote)", operation)
            return
        }
        if try isAncestor(remoteTip, of: localTip) {
            return
        }
        if try isAncestor(localTip, of: remoteTip) {
            try moveNotesRef(
                notesRef, to: remoteTip, from: localTip, message: "gitfleet: fast-forward notes from \(remote)",
                operation)
            return
        }
        let merge = try mergeNotes(local: localTip, remote: remoteTip, remoteName: remote, operation: operation)
        try moveNotesRef(notesRef, to: merge.commit, from: localTip, message: "gitfleet: merge notes", operation)
        sync.merged = true
        sync.conflicts += merge.conflicts
    }

    /// Makes a merge commit whose first parent is the remote's notes commit and whose tree is the remote's notes
    /// with every local change since the common base replayed on top.
    private func mergeNotes(local: CommitID, remote: CommitID, remoteName: String, operation: String) throws
        -> (commit: CommitID, conflicts: [NotesSync.Conflict])
    {
        let base = try mergeBase(local, remote, operation: operation)
        let ours = try notesEntries(ofNotesCommit: local, operation: operation)
        let theirs = try notesEntries(ofNotesCommit: remote, operation: operation)
        let baseEntries = try base.map { try notesEntries(ofNotesCommit: $0, operation: operation) } ?? [:]

        var replay: [(commit: CommitID, blob: git_oid?)] = []
        var conflicts: [NotesSync.Conflict] = []
        for annotated in Set(ours.keys).union(baseEntries.keys).sorted() {
            let mine = ours[annotated].map(\.hex)
            let original = baseEntries[annotated].map(\.hex)
            let other = theirs[annotated].map(\.hex)
            guard mine != original, mine != other else { continue }
            if other == original {
                replay.append((annotated, ours[annotated]))
                continue
            }
            // Both sides changed this note. A deletion never beats a text, so no note disappears in a merge.
            guard let mineBlob = ours[annotated] else { continue }
            guard let otherBlob = theirs[annotated] else {
                replay.append((annotated, mineBlob))
                continue
            }
            let mineTime = try noteWriteTime(annotated, since: local, operation: operation)
            let otherTime = try noteWriteTime(annotated, since: remote, operation: operation)
            let mineText = try noteText(blob: mineBlob, operation: operation)
            let otherText = try noteText(blob: otherBlob, operation: operation)
            if mineTime >= otherTime {
                replay.append((annotated, mineBlob))
                conflicts.append(.init(commit: annotated, kept: .local, keptText: mineText, replacedText: otherText))
            } else {
                conflicts.append(.init(commit: annotated, kept: .remote, keptText: otherText, replacedText: mineText))
            }
        }

        let merger = try mergeSignature(from: local, operation: operation)
        defer { git_signature_free(merger) }
        var tip = remote
        for change in replay {
            let parent = try lookupCommit(tip)
            defer { git_commit_free(parent) }
            var annotated = change.commit.oid
            var next = git_oid()
            if let blob = change.blob {
                let text = try noteText(blob: blob, operation: operation)
                var blobOut = git_oid()
                try check(
                    git_note_commit_create(&next, &blobOut, handle, parent, merger, merger, &annotated, text, 1),
                    operation)
            } else {
                try check(git_note_commit_remove(&next, handle, parent, merger, merger, &annotated), operation)
            }
            tip = CommitID(next)
        }

        var message =
            "Merge notes from \(remoteName)\n\nReplayed \(replay.count) local note change(s) on top of "
            + "the notes of \(remoteName).\n"
        for conflict in conflicts {
            message +=
                "\nBoth sides changed the note on \(conflict.commit.hex): kept the newer \(conflict.kept.rawValue) "
                + "note; the other is in the \(conflict.kept == .local ? "first" : "second") parent."
        }
        let merged = try commitMerge(
            tree: tip, parents: [remote, local], signature: merger, message: message + "\n", operation: operation)
        return (merged, conflicts)
    }

    private func mergeBase(_ one: CommitID, _ two: CommitID, operation: String) throws -> CommitID? {
        var oneOID = one.oid
        var twoOID = two.oid
        var base = git_oid()
        let result = git_merge_base(&base, handle, &oneOID, &twoOID)
        if result == GIT_ENOTFOUND.rawValue {
            // Two writers that each started the notes ref from nothing share no history.
            return nil
        }
        try check(result, operation)
        return CommitID(base)
    }

    /// When the current note on `annotated` at `tip` was written: the time of the oldest notes commit on the
    /// first-parent chain from `tip` that already holds that exact text. After a merge this is the merge's
    /// time, which errs towards "newer" for text that reached this side through a merge.
    private func noteWriteTime(_ annotated: CommitID, since tip: CommitID, operation: String) throws -> Int64 {
        let text = try noteBlob(on: annotated, inNotesCommit: tip, operation: operation)
        var current = tip
        for _ in 0..<1000 {
            let commit = try lookupCommit(current)
            defer { git_commit_free(commit) }
            let time = Int64(git_commit_time(commit))
            guard git_commit_parentcount(commit) > 0, let parentID = git_commit_parent_id(commit, 0) else {
                return time
            }
            let parent = CommitID(parentID.pointee)
            guard try noteBlob(on: annotated, inNotesCommit: parent, operation: operation) == text else {
                return time
            }
            current = parent
        }
        let commit = try lookupCommit(current)
        defer { git_commit_free(commit) }
        return Int64(git_commit_time(commit))
    }

    private func noteBlob(on annotated: CommitID, inNotesCommit notesCommit: CommitID, operation: String) throws
        -> String?
    {
        let commit = try lookupCommit(notesCommit)
        defer { git_commit_free(commit) }
        var oid = annotated.oid
        var note: OpaquePointer?
        let result = git_note_commit_read(&note, handle, commit, &oid)
        if result == GIT_ENOTFOUND.rawValue {
            return nil
        }
        try check(result, operation)
        defer { git_note_free(note) }
        return git_note_id(note)?.pointee.hex
    }

    /// The merge is signed by whoever wrote the local notes (the controller's own identity), at the current time.
    private func mergeSignature(from localTip: CommitID, operation: String) throws
        -> UnsafeMutablePointer<git_signature>
    {
        let committer = try commit(localTip).committer
        return try CommitInfo.Signature(
            name: committer.name, email: committer.email, date: Date(), utcOffsetMinutes: 0
        ).libgit2Signature(operation: operation)
    }

    private func commitMerge(
        tree treeSource: CommitID, parents: [CommitID], signature: UnsafeMutablePointer<git_signature>,
        message: String, operation: String
    ) throws -> CommitID {
        let source = try lookupCommit(treeSource)
        defer { git_commit_free(source) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, source), operation)
        defer { git_tree_free(tree) }
        var parentCommits: [OpaquePointer?] = []
        defer {
            for parent in parentCommits { git_commit_free(parent) }
        }
        for parent in parents {
            parentCommits.append(try lookupCommit(parent))
        }
        var merged = git_oid()
        let result = parentCommits.withUnsafeMutableBufferPointer { buffer in
            git_commit_create(
                &merged, handle, nil, signature, signature, nil, message, tree, buffer.count, buffer.baseAddress)
        }
        try check(result, operation)
        return CommitID(merged)
    }

    /// Points the local notes ref at `target`, but only if it still points at `expected`, so a note written
    /// meanwhile by another handle on this repository is not dropped.
    private func moveNotesRef(
        _ notesRef: NotesRef, to target: CommitID, from expected: CommitID?, message: String, _ operation: String
    ) throws {
        var oid = target.oid
        var reference: OpaquePointer?
        if var expectedOID = expected?.oid {
            try check(
                git_reference_create_matching(&reference, handle, notesRef.name, &oid, 1, &expectedOID, message),
                operation)
        } else {
            try check(git_reference_create(&reference, handle, notesRef.name, &oid, 0, message), operation)
        }
        git_reference_free(reference)
    }
}

/// Calls `body` with `strings` as a libgit2 string array, valid only during the call.
func withStrings<T>(_ strings: [String], _ body: (UnsafePointer<git_strarray>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer {
        for pointer in pointers { free(pointer) }
    }
    return pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return body(&array)
    }
}
