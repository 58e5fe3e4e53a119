import Crypto
import Foundation

/// A webhook secret, read from a file when the server is configured.
///
/// Its bytes never appear in descriptions or logs.
public struct WebhookSecret: Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    /// A secret from its text; empty secrets are refused by `load(from:)`, since anyone could sign with them.
    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// Reads the secret in `path`, without the trailing line break editors and `echo` add.
    public static func load(from path: String, for provider: WebhookProvider) throws -> WebhookSecret {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ServerError(
                .secretUnreadable,
                "cannot read the \(provider.rawValue) webhook secret from \(path); check the path and permissions",
                underlying: error
            )
        }
        var secret = Substring(contents)
        while let last = secret.last, last.isNewline {
            secret.removeLast()
        }
        guard !secret.isEmpty else {
            throw ServerError(
                .secretEmpty,
                "the \(provider.rawValue) webhook secret file \(path) is empty; write a long random secret to it"
            )
        }
        return WebhookSecret(String(secret))
    }

    var key: SymmetricKey { SymmetricKey(data: bytes) }

    public var description: String { "WebhookSecret(redacted)" }
}
