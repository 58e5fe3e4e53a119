import CLibgit2

extension GitRepository {
    /// Every file under `path` in the tree of `commit`, recursively, read from the object database without a
    /// work tree.
    ///
    /// `path` is relative to the repository root; empty (or `.`) means the whole tree, and a path naming a file
    /// yields that one file. Sizes come from object headers, so no blob is inflated here, however large.
    /// With `sizes: false` no header is read at all and every size is ``TreeFile/unknownSize``: a caller that
    /// reads only the few blobs that changed (a reload) should not pay a header read for each of thousands;
    /// ``size(of:)`` reads one when it is needed.
    /// Throws `.notFound` when `path` does not exist at `commit`: an absent directory is reported rather than
    /// read as "no files", so a typo can never look like an empty fleet.
    public func files(at commit: CommitID, under path: String = "", sizes: Bool = true) throws -> [TreeFile] {
        let operation = "list files under '\(path)' at \(commit.short)"
        let prefix = Self.normalize(path)
        let commitHandle = try lookupCommit(commit)
        defer { git_commit_free(commitHandle) }
        var root: OpaquePointer?
        try check(git_commit_tree(&root, commitHandle), operation)
        defer { git_tree_free(root) }
        let odb = try odb()

        var files: [TreeFile] = []
        if prefix.isEmpty {
            try collect(tree: root!, prefix: "", into: &files, odb: sizes ? odb : nil, operation: operation)
            return files
        }
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, root, prefix)
        if result == GIT_ENOTFOUND.rawValue {
            throw GitError(
                .notFound, operation: operation, message: "'\(prefix)' does not exist at commit \(commit.hex)",
                libgit2Class: git_error_last()?.pointee.klass, libgit2Code: result)
        }
        try check(result, operation)
        defer { git_tree_entry_free(entry) }
        let mode = git_tree_entry_filemode(entry)
        if mode == GIT_FILEMODE_TREE {
            var subtree: OpaquePointer?
            try check(git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)), operation)
            defer { git_tree_free(subtree) }
            try collect(
                tree: subtree!, prefix: prefix + "/", into: &files, odb: sizes ? odb : nil, operation: operation)
        } else {
            files.append(try file(entry!, mode: mode, path: prefix, odb: sizes ? odb : nil, operation: operation))
        }
        return files
    }

    private func collect(
        tree: OpaquePointer, prefix: String, into files: inout [TreeFile], odb: OpaquePointer?, operation: String
    ) throws {
        let count = git_tree_entrycount(tree)
        files.reserveCapacity(files.count + count)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let path = prefix + String(cString: git_tree_entry_name(entry))
            let mode = git_tree_entry_filemode(entry)
            if mode == GIT_FILEMODE_TREE {
                var subtree: OpaquePointer?
                try check(git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)), operation)
                defer { git_tree_free(subtree) }
                try collect(tree: subtree!, prefix: path + "/", into: &files, odb: odb, operation: operation)
            } else {
                files.append(try file(entry, mode: mode, path: path, odb: odb, operation: operation))
            }
        }
    }

    private func file(
        _ entry: OpaquePointer, mode: git_filemode_t, path: String, odb: OpaquePointer?, operation: String
    ) throws -> TreeFile {
        let oid = git_tree_entry_id(entry)!
        let kind: TreeFile.Kind
        switch mode {
        case GIT_FILEMODE_BLOB_EXECUTABLE: kind = .executable
        case GIT_FILEMODE_LINK: kind = .symlink
        case GIT_FILEMODE_COMMIT: kind = .submodule
        default: kind = .regular
        }
        var size = 0
        if kind != .submodule {
            guard let odb else {
                return TreeFile(path: path, blobID: oid.pointee.hex, kind: kind, size: TreeFile.unknownSize)
            }
            var type = GIT_OBJECT_INVALID
            try check(git_odb_read_header(&size, &type, odb, oid), "\(operation): read header of '\(path)'")
        }
        return TreeFile(path: path, blobID: oid.pointee.hex, kind: kind, size: size)
    }

    /// The contents of the blob with id `id` (40 hex digits).
    ///
    /// Throws `.tooLarge` before inflating anything when the blob is bigger than `maxSize` bytes,
    /// `.invalidInput` for a malformed id or an object that is not a blob, and `.notFound` for a missing one.
    public func blob(_ id: String, maxSize: Int) throws -> [UInt8] {
        let operation = "read blob \(id.prefix(12))"
        guard var oid = git_oid(hex: id) else {
            throw GitError(.invalidInput, operation: operation, message: "'\(id)' is not a 40-digit object id")
        }
        let odb = try odb()
        var size = 0
        var type = GIT_OBJECT_INVALID
        try check(git_odb_read_header(&size, &type, odb, &oid), operation)
        guard type == GIT_OBJECT_BLOB else {
            let name = String(cString: git_object_type2string(type))
            throw GitError(.invalidInput, operation: operation, message: "object \(id) is a \(name), not a blob")
        }
        return try read(&oid, size: size, maxSize: maxSize, odb: odb, operation: operation)
    }

    /// The size in bytes of a file listed by `files(at:under:sizes:)`, from its object header when the listing
    /// did not read it.
    public func size(of file: TreeFile) throws -> Int {
        guard file.size == TreeFile.unknownSize else { return file.size }
        guard var oid = git_oid(hex: file.blobID) else {
            throw GitError(
                .invalidInput, operation: "size of '\(file.path)'", message: "'\(file.blobID)' is not an object id")
        }
        var size = 0
        var type = GIT_OBJECT_INVALID
        try check(git_odb_read_header(&size, &type, try odb(), &oid), "read header of '\(file.path)'")
        return size
    }

    /// The contents of a file listed by `files(at:under:)`. Uses the size already known from the listing, so a
    /// file costs one object read (two when the listing was made without sizes).
    public func contents(of file: TreeFile, maxSize: Int) throws -> [UInt8] {
        let operation = "read '\(file.path)'"
        guard file.kind != .submodule else {
            throw GitError(.invalidInput, operation: operation, message: "'\(file.path)' is a submodule, not a file")
        }
        guard var oid = git_oid(hex: file.blobID) else {
            throw GitError(.invalidInput, operation: operation, message: "'\(file.blobID)' is not an object id")
        }
        let size = try self.size(of: file)
        return try read(&oid, size: size, maxSize: maxSize, odb: try odb(), operation: operation)
    }

    private func read(
        _ oid: inout git_oid, size: Int, maxSize: Int, odb: OpaquePointer, operation: String
    ) throws -> [UInt8] {
        guard size <= maxSize else {
            throw GitError(
                .tooLarge, operation: operation, message: "the blob is \(size) bytes, more than the \(maxSize) allowed")
        }
        var object: OpaquePointer?
        try check(git_odb_read(&object, odb, &oid), operation)
        defer { git_odb_object_free(object) }
        let length = git_odb_object_size(object)
        guard length <= maxSize else {
            throw GitError(
                .tooLarge, operation: operation,
                message: "the blob is \(length) bytes, more than the \(maxSize) allowed")
        }
        guard length > 0, let data = git_odb_object_data(object) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// Strips leading and trailing slashes and a lone `.` so callers may write paths either way.
    static func normalize(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return trimmed == "." ? "" : String(trimmed)
    }
}
