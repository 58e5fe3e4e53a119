import CLibgit2
import Foundation

/// Git notes: text attached to a commit without changing it, kept under a notes ref (`refs/notes/gitfleet`).
///
/// The controller records what it did with each commit it acted on as a note, so the deployment record lives
/// in Git next to the change (`git log --notes=gitfleet`), and the branch it tracks is never written to.
extension GitRepository {
    /// The note attached to `commit` under `ref`, or nil when the commit has none (or the ref does not exist).
    public func note(on commit: CommitID, ref: String = "refs/notes/gitfleet") throws -> String? {
        let operation = "read the note on \(commit.short) under \(ref)"
        let notesRef = try NotesRef(ref, operation: operation)
        var oid = commit.oid
        var note: OpaquePointer?
        let result = git_note_read(&note, handle, notesRef.name, &oid)
        if result == GIT_ENOTFOUND.rawValue {
            return nil
        }
        try check(result, operation)
        defer { git_note_free(note) }
        return git_note_message(note).map { String(cString: $0) } ?? ""
    }

    /// Attaches `text` to `commit` under `ref`, replacing the note the commit already has there.
    ///
    /// Each call adds one notes commit on top of the ref's previous notes commit, signed by `author`, so the
    /// ref's history shows every note ever written and by whom. The note is local until `pushNotes` sends it.
    /// Throws `.notFound` when the repository does not hold `commit`: a note on an unknown object would be
    /// invisible to every reader of the history.
    public func setNote(
        _ text: String, on commit: CommitID, ref: String = "refs/notes/gitfleet", author: CommitInfo.Signature
    ) throws {
        let operation = "write the note on \(commit.short) under \(ref)"
        let notesRef = try NotesRef(ref, operation: operation)
        guard try contains(commit) else {
            throw GitError(
                .notFound, operation: operation, message: "commit \(commit.hex) is not in \(gitDirectory); fetch first?"
            )
        }
        let signature = try author.libgit2Signature(operation: operation)
        defer { git_signature_free(signature) }
        var oid = commit.oid
        var noteID = git_oid()
        try check(git_note_create(&noteID, handle, notesRef.name, signature, signature, &oid, text, 1), operation)
    }

    /// Every note under `ref`, ordered by commit id so the result is stable; empty when the ref does not exist.
    public func notes(ref: String = "refs/notes/gitfleet") throws -> [(commit: CommitID, text: String)] {
        let operation = "list the notes under \(ref)"
        let notesRef = try NotesRef(ref, operation: operation)
        guard let tip = try notesTip(notesRef.name, operation: operation) else { return [] }
        return try notesEntries(ofNotesCommit: tip, operation: operation)
            .sorted { $0.key < $1.key }
            .map { (commit: $0.key, text: try noteText(blob: $0.value, operation: operation)) }
    }

    /// The notes commit `ref` points at, or nil when the ref does not exist yet: it changes with every note
    /// written or merged, so a reader can tell whether the notes changed since it last looked.
    public func notesTip(ref: String = "refs/notes/gitfleet") throws -> CommitID? {
        let operation = "read the notes ref \(ref)"
        return try notesTip(try NotesRef(ref, operation: operation).name, operation: operation)
    }

    // MARK: Notes commits

    /// The notes commit a ref points at, or nil when the ref does not exist yet.
    func notesTip(_ name: String, operation: @autoclosure () -> String) throws -> CommitID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, handle, name)
        if result == GIT_ENOTFOUND.rawValue {
            return nil
        }
        try check(result, operation())
        return CommitID(oid)
    }

    /// The annotated commit → note blob map of one notes commit. Blob ids compare note texts cheaply.
    func notesEntries(ofNotesCommit notesCommit: CommitID, operation: @autoclosure () -> String) throws
        -> [CommitID: git_oid]
    {
        let commit = try lookupCommit(notesCommit)
        defer { git_commit_free(commit) }
        var iterator: OpaquePointer?
        let created = git_note_commit_iterator_new(&iterator, commit)
        if created == GIT_ENOTFOUND.rawValue {
            return [:]
        }
        try check(created, operation())
        defer { git_note_iterator_free(iterator) }
        var entries: [CommitID: git_oid] = [:]
        var blob = git_oid()
        var annotated = git_oid()
        while true {
            let result = git_note_next(&blob, &annotated, iterator)
            if result == GIT_ITEROVER.rawValue {
                return entries
            }
            try check(result, operation())
            entries[CommitID(annotated)] = blob
        }
    }

    /// The text of a note blob.
    func noteText(blob: git_oid, operation: @autoclosure () -> String) throws -> String {
        var oid = blob
        var object: OpaquePointer?
        try check(git_blob_lookup(&object, handle, &oid), operation())
        defer { git_blob_free(object) }
        let size = Int(git_blob_rawsize(object))
        guard size > 0, let content = git_blob_rawcontent(object) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: content, count: size), as: UTF8.self)
    }
}

extension CommitInfo.Signature {
    /// A libgit2 signature for this person and moment; the caller frees it with `git_signature_free`.
    func libgit2Signature(operation: @autoclosure () -> String) throws -> UnsafeMutablePointer<git_signature> {
        var signature: UnsafeMutablePointer<git_signature>?
        try check(
            git_signature_new(
                &signature, name, email, git_time_t(date.timeIntervalSince1970.rounded(.down)),
                Int32(utcOffsetMinutes)),
            operation())
        return signature!
    }
}
