import Foundation

/// What a commit says about itself: who made it, when, why, and what it follows.
public struct CommitInfo: Hashable, Sendable {
    /// A person and moment recorded in a commit.
    public struct Signature: Hashable, Sendable {
        public var name: String
        public var email: String
        public var date: Date
        /// The signer's offset from UTC in minutes, as recorded in the commit.
        public var utcOffsetMinutes: Int

        public init(name: String, email: String, date: Date, utcOffsetMinutes: Int) {
            self.name = name
            self.email = email
            self.date = date
            self.utcOffsetMinutes = utcOffsetMinutes
        }
    }

    public var id: CommitID
    /// The first paragraph of the message, on one line.
    public var summary: String
    /// The full message.
    public var message: String
    public var author: Signature
    public var committer: Signature
    /// First parent first; empty for a root commit.
    public var parentIDs: [CommitID]
}
