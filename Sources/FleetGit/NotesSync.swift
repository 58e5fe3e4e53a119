/// What `fetchNotes` or `pushNotes` did to bring a notes ref and its copy on a remote together.
public struct NotesSync: Sendable, Hashable {
    /// Which copy of the notes a text came from.
    public enum Side: String, Sendable, Hashable {
        case local
        case remote
    }

    /// A commit whose note was changed on both sides since they last agreed.
    ///
    /// Policy: the note written last wins (by the time of the notes commit that wrote it; a tie goes to the
    /// local side, which is the one pushing). Nothing is lost silently: the conflict is reported here, named in
    /// the merge commit's message, and the replaced text stays in the notes ref's history, because the merge
    /// commit keeps both sides as parents. Last-writer-wins fits the controller, whose later note on a commit
    /// describes a later state of that deployment (in-progress, then converged).
    public struct Conflict: Sendable, Hashable {
        /// The annotated commit.
        public var commit: CommitID
        /// Which side's text the notes ref now holds.
        public var kept: Side
        public var keptText: String
        /// The text that lost, still reachable in the notes ref's history.
        public var replacedText: String
    }

    /// Commits whose notes conflicted, with the text kept and the text replaced.
    public var conflicts: [Conflict] = []
    /// Whether the local notes had to be merged with the remote's (the two had diverged).
    public var merged = false
    /// Whether the remote's notes ref was updated; false when it already had every local note.
    public var pushed = false
    /// How many fetch-merge-push rounds were needed (1 unless another writer pushed in between).
    public var attempts = 0
    /// The notes commit the local ref points at afterwards; nil when neither side has any notes.
    public var tip: CommitID?
}
