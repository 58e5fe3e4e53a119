/// An image's `image.json`: how to run it. Lives at the root of the image's directory and is part of its digest.
public struct ImageManifest: Hashable, Sendable, Codable {
    /// argv run when a launch gives no command. A relative path is relative to the image's root.
    public var entrypoint: [String]
    public var env: [String: String]
    /// Where the process starts, relative to the image's root; the root itself when nil.
    public var workingDir: String?

    public init(entrypoint: [String], env: [String: String] = [:], workingDir: String? = nil) {
        self.entrypoint = entrypoint
        self.env = env
        self.workingDir = workingDir
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        entrypoint = try container.decodeIfPresent([String].self, forKey: .entrypoint) ?? []
        env = try container.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
        workingDir = try container.decodeIfPresent(String.self, forKey: .workingDir)
    }
}
