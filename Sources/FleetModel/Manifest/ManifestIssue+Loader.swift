extension ManifestIssue {
    /// The issue for a symbolic link inside the manifest path. Links are refused because they could make
    /// the desired state depend on files outside the reviewed tree.
    public static func symlinkNotAllowed(path: String) -> ManifestIssue {
        ManifestIssue(
            location: SourceLocation(file: path), fieldPath: "",
            message: "symbolic links are not allowed in the fleet repository",
            expected: "a regular file")
    }

    /// The issue for a file over the size limit; such a file is not parsed.
    public static func fileTooLarge(path: String, size: Int, limit: Int) -> ManifestIssue {
        ManifestIssue(
            location: SourceLocation(file: path), fieldPath: "",
            message: "the file is \(size) bytes, over the limit of \(limit) bytes",
            expected: "a file of at most \(limit) bytes")
    }
}
