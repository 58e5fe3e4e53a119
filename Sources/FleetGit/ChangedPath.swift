/// A path that differs between two commits' trees.
public struct ChangedPath: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable {
        case added
        /// Contents or mode changed (a type change, such as file to symlink, counts too).
        case modified
        case deleted
        /// Moved, possibly with changes; found by similarity, so `oldPath` and `newPath` differ.
        case renamed
    }

    public var status: Status
    /// Nil when added.
    public var oldPath: String?
    /// Nil when deleted.
    public var newPath: String?

    public init(status: Status, oldPath: String?, newPath: String?) {
        self.status = status
        self.oldPath = oldPath
        self.newPath = newPath
    }

    /// The path as it is after the change, or before it for a deletion.
    public var path: String { newPath ?? oldPath ?? "" }
}
