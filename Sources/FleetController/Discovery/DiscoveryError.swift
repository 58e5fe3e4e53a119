/// Why the serving set could not be published; the rollout waits until it can.
public struct DiscoveryError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A discovery setting (an output, the reload command) is malformed.
        case badSetting
        /// A user template could not be read.
        case templateUnreadable
        /// A user template is not valid Mustache.
        case templateInvalid
        /// An output file could not be written.
        case writeFailed
        /// The reload command could not be started.
        case reloadUnavailable
        /// The reload command exited non-zero.
        case reloadFailed
        /// The reload command overran its timeout and was killed.
        case reloadTimedOut
    }

    public var code: Code
    public var message: String

    /// Whether the outputs could not be produced at all (a template or a file), as opposed to a reload that
    /// failed: the `render_failed` result of `gitfleet_discovery_publications_total`.
    public var isRenderFailure: Bool {
        switch code {
        case .templateUnreadable, .templateInvalid, .writeFailed: return true
        case .badSetting, .reloadUnavailable, .reloadFailed, .reloadTimedOut: return false
        }
    }
    public var underlying: (any Error)?
    /// What a failed or overrunning reload command wrote, its last ``outputLimit`` bytes; nil otherwise.
    public var output: String?

    /// How much of a reload command's output is kept: enough for nginx's or HAProxy's complaint, little enough
    /// to travel in every report of a discovery agent.
    public static let outputLimit = 4096

    /// The last ``outputLimit`` bytes of `text` (cut at a character), nil when it is blank.
    static func output(_ text: String) -> String? {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        var tail = Substring(text)
        while tail.utf8.count > outputLimit { tail = tail.dropFirst(max(1, (tail.utf8.count - outputLimit) / 4)) }
        return String(tail)
    }

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        message + (underlying.map { " (\($0))" } ?? "")
    }
}
