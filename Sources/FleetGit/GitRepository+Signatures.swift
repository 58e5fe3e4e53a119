import CLibgit2

extension GitRepository {
    /// The signature on `commit` and the payload it signs, or nil when the commit is not signed.
    ///
    /// Throws `.notFound` when the repository does not hold the commit, so a missing commit is never mistaken
    /// for an unsigned one.
    public func signature(of commit: CommitID) throws -> CommitSignature? {
        let operation = "read the signature of commit \(commit.short)"
        // libgit2 answers GIT_ENOTFOUND both for a missing commit and for a missing signature; looking the
        // commit up first tells the two apart.
        git_commit_free(try lookupCommit(commit))
        var signature = git_buf()
        var payload = git_buf()
        defer {
            git_buf_dispose(&signature)
            git_buf_dispose(&payload)
        }
        var oid = commit.oid
        let result = git_commit_extract_signature(&signature, &payload, handle, &oid, "gpgsig")
        if result == GIT_ENOTFOUND.rawValue {
            return nil
        }
        try check(result, operation)
        return CommitSignature(armored: Self.string(signature), payload: Self.bytes(payload))
    }

    private static func bytes(_ buffer: git_buf) -> [UInt8] {
        guard let pointer = buffer.ptr, buffer.size > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: buffer.size) {
            Array(UnsafeBufferPointer(start: $0, count: buffer.size))
        }
    }

    private static func string(_ buffer: git_buf) -> String {
        String(decoding: bytes(buffer), as: UTF8.self)
    }
}
