import Crypto
import FleetController
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The API tokens' secrets, read from their files and read again when the files change, so a rotated
/// Kubernetes Secret (an atomic swap of the mounted folder) is honoured without a restart.
///
/// Files are re-read on demand, at most once per `refreshInterval`, when a request needs a token: no watcher
/// task, nothing read while no one calls. A token whose file can no longer be read (or holds nothing)
/// accepts nothing until it can, so emptying or deleting a file revokes the token.
///
/// Only SHA-256 digests of the secrets are kept. A presented token is hashed once and compared with every
/// configured digest, byte by byte with no early exit, and every token is compared whatever matched: the time
/// taken depends neither on how much of a secret was guessed nor on which token (if any) matched.
final class APITokenStore: Sendable {
    private struct Entry {
        var token: APIToken
        /// nil while the file cannot be read or is empty.
        var digest: [UInt8]?
    }

    private struct State {
        var entries: [Entry]
        var lastRead: ContinuousClock.Instant
    }

    private let state: NIOLockedValueBox<State>
    private let refreshInterval: Duration
    private let logger: Logger

    /// Reads every token's file.
    ///
    /// - Throws: `ServerError` (`secretUnreadable`, `secretEmpty`) naming the token and its file, never the
    ///   token itself, so a misconfigured token fails the start instead of locking its holder out.
    init(tokens: [APIToken], refreshInterval: Duration = .seconds(1), logger: Logger) throws {
        var entries: [Entry] = []
        for token in tokens {
            switch Self.read(token) {
            case .success(let digest): entries.append(Entry(token: token, digest: digest))
            case .failure(let error): throw error
            }
        }
        self.state = NIOLockedValueBox(State(entries: entries, lastRead: .now))
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// The token `presented` is, or nil when it is none of them.
    func token(for presented: String) -> APIToken? {
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        let entries = current()
        var found: APIToken?
        for entry in entries {
            guard let expected = entry.digest else { continue }
            if Self.constantTimeEqual(expected, digest) && found == nil { found = entry.token }
        }
        return found
    }

    /// The entries, read again from their files when `refreshInterval` has passed since the last read.
    private func current() -> [Entry] {
        let now = ContinuousClock.now
        let due = state.withLockedValue { state -> [Entry]? in
            guard now - state.lastRead >= refreshInterval else { return nil }
            state.lastRead = now
            return state.entries
        }
        guard let previous = due else { return state.withLockedValue { $0.entries } }
        var entries = previous
        for index in entries.indices {
            let token = entries[index].token
            switch Self.read(token) {
            case .success(let digest):
                if entries[index].digest == nil { logger.notice("API token '\(token.name)' is readable again") }
                entries[index].digest = digest
            case .failure(let error):
                if entries[index].digest != nil {
                    logger.warning("API token '\(token.name)' now accepts nothing: \(error)")
                }
                entries[index].digest = nil
            }
        }
        state.withLockedValue { $0.entries = entries }
        return entries
    }

    private static func read(_ token: APIToken) -> Result<[UInt8], ServerError> {
        let text: String
        do {
            text = try String(contentsOfFile: token.file, encoding: .utf8)
        } catch {
            return .failure(
                ServerError(
                    .secretUnreadable,
                    "the file '\(token.file)' of the API token '\(token.name)' cannot be read "
                        + "(\((error as NSError).localizedDescription))"))
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else {
            return .failure(
                ServerError(.secretEmpty, "the file '\(token.file)' of the API token '\(token.name)' is empty"))
        }
        return .success(Array(SHA256.hash(data: Array(secret.utf8))))
    }

    /// Equal-length digests compared with no branch on their bytes; written by hand (an XOR accumulator) since
    /// only the fixed-length digests are compared, so no helper for unequal lengths is needed.
    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
