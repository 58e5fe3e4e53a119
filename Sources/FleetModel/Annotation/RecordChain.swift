import Crypto
import Foundation

/// The deployment record's hash chain: each note the controller writes names the previous note of the fleet's
/// record, by its commit and the SHA-256 of its whole text (signature included). A note deleted, edited or put
/// in another's place after a later note linked to it breaks that link; the note's own SSH signature
/// (``SignedNote``) covers its text, its link included. docs/auditing.md explains both to auditors.
///
/// The record is one chain per notes ref, in the order the controller first wrote each commit's note (the order
/// it admitted them, which follows the branch). The controller keeps every link true as it rewrites notes: a
/// note rewritten after a later one linked to it (a rollout finishing after a rejection, say) has the notes
/// after it re-linked and re-signed in the same write.
public enum RecordChain {
    /// `sha256:` and the lower-case hex SHA-256 of `text`'s UTF-8 bytes: what a link's `digest` holds, and what
    /// `git notes show C | sha256sum` prints (without the prefix).
    public static func digest(of text: String) -> String {
        "sha256:" + Hex.lowercase(SHA256.hash(data: Data(text.utf8)))
    }

    /// One note as the chain sees it.
    public struct Note: Sendable {
        /// The annotated commit, in full.
        public var commit: String
        /// The note's whole text.
        public var text: String
        /// The annotation, or nil when the text is not one.
        public var annotation: StatusAnnotation?

        public init(commit: String, text: String, annotation: StatusAnnotation?) {
            self.commit = commit
            self.text = text
            self.annotation = annotation
        }

        var link: StatusAnnotation.ChainLink? { annotation?.previous }
        /// When the note's story began, to order notes that are not linked.
        var began: Date { annotation.map { $0.started ?? $0.at } ?? .distantPast }
    }

    /// The chain from its first note to its last, by commit: from the head (a linked note that no other note
    /// names; the latest when there are several) back along `previous` links while they lead to a note, then
    /// reversed. Empty when no note carries a link and no note could start one.
    ///
    /// A record whose first note is not linked (the chain's genesis) is followed back to it too. Notes off the
    /// path are not members: they were written before the chain existed, or the chain broke before them.
    public static func order(_ notes: [Note]) -> [String] {
        let byCommit = Dictionary(notes.map { ($0.commit, $0) }, uniquingKeysWith: { first, _ in first })
        let named = Set(notes.compactMap { $0.link?.commit })
        let heads = notes.filter { $0.link != nil && !named.contains($0.commit) }
        guard let head = heads.max(by: { ($0.began, $0.commit) < ($1.began, $1.commit) }) else {
            // One lone note with no link is a chain that has just begun.
            let lone = notes.filter { $0.annotation != nil && $0.link == nil }
            return lone.count == 1 ? [lone[0].commit] : []
        }
        var path = [head.commit]
        var seen: Set<String> = [head.commit]
        var current = head
        while let link = current.link, let previous = byCommit[link.commit], seen.insert(previous.commit).inserted {
            path.append(previous.commit)
            current = previous
        }
        return path.reversed()
    }

    /// A place where the record does not hold, named by the commit whose note is at fault.
    public struct Break: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The commit whose note is missing, changed, moved or unlinked.
        public var commit: String
        public var problem: String

        public init(commit: String, problem: String) {
            self.commit = commit
            self.problem = problem
        }

        public var description: String { "\(commit): \(problem)" }
    }

    /// Every break in the links among `notes` (signatures are checked elsewhere: they need `ssh-keygen`):
    /// - a note names a previous note that is not there (deleted), or whose text no longer has the digest the
    ///   link names (edited or replaced after the later note was written);
    /// - two notes name the same previous note (the record forked: a note inserted, or two writers);
    /// - more than one linked-to-nothing note (a second beginning: a note written outside the chain);
    /// - a note whose `revision` is not the commit it is attached to (moved from another commit).
    /// Notes that are not annotations are ignored. The result is ordered by commit, then problem.
    public static func breaks(_ notes: [Note]) -> [Break] {
        let byCommit = Dictionary(notes.map { ($0.commit, $0) }, uniquingKeysWith: { first, _ in first })
        var breaks: [Break] = []
        var namedBy: [String: [String]] = [:]
        for note in notes {
            guard let annotation = note.annotation else { continue }
            if annotation.revision != note.commit {
                breaks.append(
                    Break(
                        commit: note.commit,
                        problem: "the note says it is about \(annotation.revision), not this commit: it was moved "
                            + "or copied here from another commit"))
            }
            guard let link = note.link else { continue }
            namedBy[link.commit, default: []].append(note.commit)
            guard let previous = byCommit[link.commit] else {
                breaks.append(
                    Break(
                        commit: link.commit,
                        problem: "its note is missing, but the note on \(note.commit) names it as the previous note "
                            + "of the record: the note was deleted"))
                continue
            }
            let digest = digest(of: previous.text)
            if digest != link.digest {
                breaks.append(
                    Break(
                        commit: link.commit,
                        problem: "its note is not the text the note on \(note.commit) linked to (\(link.digest), now "
                            + "\(digest)): it was changed after that note was written"))
            }
        }
        for (previous, commits) in namedBy where commits.count > 1 {
            let sorted = commits.sorted()
            breaks.append(
                Break(
                    commit: previous,
                    problem: "the notes on \(sorted.joined(separator: " and ")) all name it as their previous note: "
                        + "the record forked (a note inserted, or written by two controllers)"))
        }
        let beginnings = notes.filter { $0.annotation != nil && $0.link == nil }
            .sorted { ($0.began, $0.commit) < ($1.began, $1.commit) }
        for note in beginnings.dropFirst() {
            breaks.append(
                Break(
                    commit: note.commit,
                    problem: "its note links to no previous note, but the record already begins at "
                        + "\(beginnings[0].commit): it was written outside the chain"))
        }
        return breaks.sorted { ($0.commit, $0.problem) < ($1.commit, $1.problem) }
    }
}
