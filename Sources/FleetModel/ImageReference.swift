/// A reference to an image: a repository with a tag, a content digest, or both
/// (`shop/web:1.5.0`, `shop/web@sha256:…`, `shop/web:1.5.0@sha256:…`).
///
/// The digest is what an instance runs and what is recorded; the tag is what people write.
/// A reference with neither is given the tag `latest`, as container tools do.
public struct ImageReference: Hashable, Sendable, Codable, CustomStringConvertible {
    public var repository: String
    public var tag: String?
    /// `sha256:` followed by 64 lower-case hex digits.
    public var digest: String?

    public init(repository: String, tag: String? = nil, digest: String? = nil) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses `repository[:tag][@sha256:hex]`. Returns nil and leaves `problem` set when the text is
    /// not a valid reference.
    public init?(parsing text: String, problem: inout String?) {
        var rest = Substring(text)
        var digest: String? = nil
        if let at = rest.firstIndex(of: "@") {
            let candidate = String(rest[rest.index(after: at)...])
            guard ImageReference.isDigest(candidate) else {
                problem = "a digest of the form sha256:<64 lower-case hex digits> after '@'"
                return nil
            }
            digest = candidate
            rest = rest[..<at]
        }
        var tag: String? = nil
        // A colon after the last slash separates the tag; one before it belongs to a registry port.
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            guard let tag, ImageReference.isTag(tag) else {
                problem = "a tag of letters, digits, '_', '.' or '-' (at most 128, not starting with '.' or '-')"
                return nil
            }
        }
        let repository = String(rest)
        guard ImageReference.isRepository(repository) else {
            problem = "a repository name of lower-case path components such as shop/web"
            return nil
        }
        if tag == nil && digest == nil { tag = "latest" }
        self.init(repository: repository, tag: tag, digest: digest)
    }

    /// `repository:tag@digest`, leaving out what is absent.
    public var description: String {
        var text = repository
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// The same reference pinned to a content digest.
    public func pinned(to digest: String) -> ImageReference {
        ImageReference(repository: repository, tag: tag, digest: digest)
    }

    /// What identifies the content: the digest when known, else the tag. This is what the spec hash covers.
    public var identity: String {
        if let digest { return "\(repository)@\(digest)" }
        return "\(repository):\(tag ?? "latest")"
    }

    static func isDigest(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func isTag(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 128, first != UInt8(ascii: "."),
            first != UInt8(ascii: "-")
        else { return false }
        return text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
    }

    static func isRepository(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 255 else { return false }
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        return components.allSatisfy { component in
            guard let first = component.utf8.first, let last = component.utf8.last else { return false }
            let isAlnum: (UInt8) -> Bool = { (48...57).contains($0) || (97...122).contains($0) }
            // The first component may be a registry host with a port (registry.local:5000).
            return (isAlnum(first) && isAlnum(last))
                && component.utf8.allSatisfy { byte in
                    isAlnum(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
                }
        }
    }
}
