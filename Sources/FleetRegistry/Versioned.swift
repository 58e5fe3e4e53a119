/// A stored record with the version the registry holds it at.
///
/// The version is what a compare-and-swap expects: pass it back in ``RecordExpectation/version(_:)`` to
/// write only if nobody wrote the record since it was read.
public struct Versioned<Record: Sendable & Hashable>: Sendable, Hashable {
    public var record: Record
    /// The revision of the commit that last wrote the record; always positive.
    public var version: Int64

    public init(_ record: Record, version: Int64) {
        self.record = record
        self.version = version
    }
}

extension Versioned: Codable where Record: Codable {}
