/// One file of the fleet repository as the loader read it.
public struct ManifestFile: Hashable, Sendable {
    /// Path inside the repository, as issues name it (`services/web.yaml`).
    public var path: String
    public var contents: [UInt8]
    /// The Git blob id of the contents, when known. Files with a blob id are decoded once per distinct
    /// content and reused from the decoder's cache afterwards.
    public var blobID: String?

    public init(path: String, contents: [UInt8], blobID: String? = nil) {
        self.path = path
        self.contents = contents
        self.blobID = blobID
    }

    public init(path: String, text: String, blobID: String? = nil) {
        self.init(path: path, contents: Array(text.utf8), blobID: blobID)
    }
}

/// Bounds that keep a hostile or mistaken repository from exhausting the controller.
public struct ManifestLimits: Hashable, Sendable {
    /// Larger files are not parsed at all.
    public var maxFileSize: Int
    public var maxDocumentsPerFile: Int
    /// YAML nodes per document with every alias expanded: stops "billion laughs" files.
    public var maxNodesPerDocument: Int
    /// Nesting of mappings and lists.
    public var maxDepth: Int
    public var maxReplicas: Int

    public init(
        maxFileSize: Int = 1 << 20,
        maxDocumentsPerFile: Int = 1_000,
        maxNodesPerDocument: Int = 10_000,
        maxDepth: Int = 64,
        maxReplicas: Int = 10_000
    ) {
        self.maxFileSize = maxFileSize
        self.maxDocumentsPerFile = maxDocumentsPerFile
        self.maxNodesPerDocument = maxNodesPerDocument
        self.maxDepth = maxDepth
        self.maxReplicas = maxReplicas
    }
}
