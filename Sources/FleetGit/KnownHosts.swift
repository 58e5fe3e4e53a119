import Crypto
import Foundation

/// The host keys an OpenSSH known_hosts file trusts.
///
/// Supports plain host names and addresses, `[host]:port` for non-standard ports, comma-separated lists,
/// `*`/`?` wildcards, `!` negations, hashed `|1|salt|hash` entries and `@revoked` markers.
/// `@cert-authority` lines are ignored: host certificates are not supported, so such hosts are not trusted.
///
/// `@_spi(Fuzzing)`: the parser and the matching are open to the libFuzzer targets in `Fuzz/` (and to this module's
/// tests), nothing else.
@_spi(Fuzzing) public struct KnownHosts {
    public enum Verdict: Equatable {
        case trusted
        /// Listed, but with other keys: possibly a man in the middle.
        case mismatch
        case unknown
        case revoked
    }

    private struct Entry {
        var patterns: [String]
        var hashed: (salt: [UInt8], hash: [UInt8])?
        var key: [UInt8]
        var revoked: Bool
    }

    private var entries: [Entry] = []

    public init(contents: String) {
        for rawLine in contents.split(whereSeparator: \.isNewline) {
            var fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            var revoked = false
            if first.hasPrefix("@") {
                guard first == "@revoked" else { continue }
                revoked = true
                fields.removeFirst()
            }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { continue }
            var entry = Entry(patterns: [], hashed: nil, key: Array(key), revoked: revoked)
            if fields[0].hasPrefix("|1|") {
                let parts = fields[0].split(separator: "|", omittingEmptySubsequences: true)
                guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
                    let hash = Data(base64Encoded: String(parts[2]))
                else { continue }
                entry.hashed = (Array(salt), Array(hash))
            } else {
                entry.patterns = fields[0].split(separator: ",").map(String.init)
            }
            entries.append(entry)
        }
    }

    init(contentsOfFile path: String) throws {
        self.init(contents: try String(contentsOfFile: path, encoding: .utf8))
    }

    /// Whether `key` (the SSH wire-format public key blob) is trusted for `host` on `port`.
    public func verdict(host: String, port: Int, key: [UInt8]) -> Verdict {
        let name = port == 22 ? host.lowercased() : "[\(host.lowercased())]:\(port)"
        var listed = false
        var trusted = false
        for entry in entries where matches(entry, name: name) {
            if entry.revoked {
                if entry.key == key { return .revoked }
                continue
            }
            listed = true
            if entry.key == key { trusted = true }
        }
        return trusted ? .trusted : (listed ? .mismatch : .unknown)
    }

    private func matches(_ entry: Entry, name: String) -> Bool {
        if let hashed = entry.hashed {
            // OpenSSH's hashed entries fix HMAC-SHA1; the comparison takes constant time.
            return HMAC<Insecure.SHA1>.isValidAuthenticationCode(
                hashed.hash, authenticating: Array(name.utf8), using: SymmetricKey(data: hashed.salt))
        }
        var matched = false
        for pattern in entry.patterns {
            if pattern.hasPrefix("!") {
                if Self.glob(Array(pattern.dropFirst().lowercased().utf8), Array(name.utf8)) { return false }
            } else if Self.glob(Array(pattern.lowercased().utf8), Array(name.utf8)) {
                matched = true
            }
        }
        return matched
    }

    private static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
