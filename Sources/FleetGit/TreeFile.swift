/// A file recorded in a commit's tree, described without reading its contents.
public struct TreeFile: Hashable, Sendable {
    /// How Git records the entry (its file mode).
    public enum Kind: String, Hashable, Sendable {
        case regular
        case executable
        /// The blob holds the link target.
        case symlink
        /// A gitlink: `blobID` is a commit in another repository and `size` is 0.
        case submodule
    }

    /// Relative to the repository root, with `/` separators.
    public var path: String
    /// The object id in hex (a commit id for submodules).
    public var blobID: String
    public var kind: Kind
    /// The blob's size in bytes, read from the object header.
    public var size: Int
    /// `size` of a file listed without sizes (see ``GitRepository/files(at:under:sizes:)``).
    public static let unknownSize = -1

    public init(path: String, blobID: String, kind: Kind, size: Int) {
        self.path = path
        self.blobID = blobID
        self.kind = kind
        self.size = size
    }
}
