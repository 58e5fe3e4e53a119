import FleetModel
import Foundation

/// An operator's `rollback SERVICE`: the service runs ``spec`` (a spec that ran good before, pinned to its image
/// digest) instead of what Git asks for, until Git asks for something new.
///
/// ``from`` is the spec Git asked for when the pin was set. While the desired spec is still that one, the pin
/// holds, pass after pass; once a commit changes the service's desired spec, the pin is released and the new spec
/// rolls out, so a rollback is a stop-gap until the fix is committed, never a second source of desired state.
public struct RolloutPin: Codable, Hashable, Sendable {
    /// The spec rolled back to, pinned to its image digest.
    public var spec: ServiceSpec
    /// The commit that spec came from, when known.
    public var revision: String?
    /// The desired spec when the pin was set: a desired spec other than this one releases the pin.
    public var from: SpecHash
    public var attribution: Attribution

    public init(spec: ServiceSpec, revision: String?, from: SpecHash, attribution: Attribution) {
        self.spec = spec
        self.revision = revision
        self.from = from
        self.attribution = attribution
    }

    /// The hash of ``spec``.
    public var specHash: SpecHash { SpecHash(spec) }
}
