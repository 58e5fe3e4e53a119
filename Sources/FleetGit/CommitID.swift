import CLibgit2

/// The full id of a commit: 40 lower-case hex digits.
public struct CommitID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let hex: String

    /// Accepts exactly 40 hex digits (either case) and stores them lower-cased.
    public init?(hex: String) {
        let lowered = hex.lowercased()
        guard lowered.utf8.count == 40, lowered.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        self.hex = lowered
    }

    init(_ oid: git_oid) {
        hex = oid.hex
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = CommitID(hex: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a 40-digit commit id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    /// The first 12 hex digits, for people.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public static func < (lhs: CommitID, rhs: CommitID) -> Bool { lhs.hex < rhs.hex }

    var oid: git_oid {
        // The initialiser validated the digits, so parsing cannot fail.
        git_oid(hex: hex)!
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
    }
}
