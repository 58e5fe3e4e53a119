import Crypto
import FleetModel
import Foundation

/// The fleet a runtime acts for, on hosts and in folders other fleets may share.
///
/// A controller removes as drift whatever its runtime shows and its registry does not record, so two
/// fleets whose runtimes saw each other's instances would destroy each other's. Every instance carries its
/// scope (the Docker label `gitfleet.scope`, the `scope` of a process instance's record and
/// `GITFLEET_SCOPE` in its environment), and a runtime lists, stops, destroys and adopts only instances of
/// its own scope: anything else is invisible to it, as if it did not exist.
public enum RuntimeScope {
    /// The scope every instance had before scopes were a setting. Records and containers made by those
    /// versions belong to it (see docs/runtimes.md, "Upgrading").
    public static let legacy = "gitfleet"

    /// A stable scope for the fleet whose registry is `registryIdentity`: `fleet-` and the first 12 hex
    /// digits of its SHA-256. The instances a registry records are exactly those of one scope, so the scope
    /// follows the registry: replicas sharing it share the scope, controllers with registries of their own
    /// get scopes of their own.
    public static func derived(fromRegistry registryIdentity: String) -> String {
        let digest = SHA256.hash(data: Data(registryIdentity.utf8))
        return "fleet-" + Hex.lowercase(digest.prefix(6))
    }

    /// What is wrong with `scope` as a scope, nil when nothing: it is a label value, part of container
    /// names and written into records, so it is held to the characters of an instance id.
    public static func problem(_ scope: String) -> String? {
        guard InstanceLaunch.isValidInstanceID(scope), scope.count <= 63 else {
            return
                "'\(scope)' is not a runtime scope (expected 1-63 letters, digits, '.', '_' or '-', not starting with '.')"
        }
        return nil
    }
}
