import Foundation

/// Files of this repository that tests check against (documentation examples).
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The fenced block of `language` that follows the line `marker` in a Markdown document.
    static func fencedBlock(_ language: String, after marker: String, in document: String) -> String? {
        guard let markerRange = document.range(of: marker) else { return nil }
        let rest = document[markerRange.upperBound...]
        guard let open = rest.range(of: "```\(language)\n") else { return nil }
        let body = rest[open.upperBound...]
        guard let close = body.range(of: "\n```") else { return nil }
        return String(body[..<close.lowerBound]) + "\n"
    }
}
