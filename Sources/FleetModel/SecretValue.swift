/// The plaintext of a secret on its way into an instance.
///
/// Every way of printing it (`description`, `debugDescription`, a mirror) shows `<secret>`, so a value that
/// reaches a log line, an error or a dump by mistake reveals nothing. It is never Codable: it is not stored.
public struct SecretValue: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The value as text, for an environment variable (invalid UTF-8 is repaired).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
