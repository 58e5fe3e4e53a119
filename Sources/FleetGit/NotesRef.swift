/// A validated notes reference name and the local ref a remote's copy of it is fetched into.
///
/// Only names under `refs/notes/` are accepted, so the notes API can never be pointed at a branch or a tag:
/// the controller writes to Git only under its notes ref (DESIGN invariant 4).
struct NotesRef: Hashable, Sendable {
    /// The default ref the controller records its audit trail under.
    static let gitfleet = "refs/notes/gitfleet"

    /// The full ref name, e.g. `refs/notes/gitfleet`.
    let name: String

    init(_ name: String, operation: @autoclosure () -> String) throws {
        let prefix = "refs/notes/"
        guard name.hasPrefix(prefix), name.count > prefix.count, !name.hasSuffix("/"), !name.contains("..") else {
            throw GitError(
                .invalidInput, operation: operation(),
                message: "'\(name)' is not a notes ref; use a name under refs/notes/, such as \(NotesRef.gitfleet)")
        }
        self.name = name
    }

    /// Where the remote's notes are fetched to before they are merged: outside `refs/notes/`, so Git tools do
    /// not show it as a second set of notes, and outside `refs/remotes/`, so a branch fetch never prunes it.
    func trackingRef(remote: String) -> String {
        "refs/gitfleet/remote-notes/\(remote)/\(name.dropFirst("refs/notes/".count))"
    }

    /// The only refspec a notes push uses: not forced (no `+`), and naming nothing but this ref.
    var pushRefspec: String { "\(name):\(name)" }
}
