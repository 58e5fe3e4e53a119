import FleetModel
import FleetRuntime

/// Pins every service's image to the content digest the runtime would run, so the spec hash, the
/// plan and the registry all speak of digests (a tag that moved is a change, never absorbed).
public enum ImagePinning {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// Per service, why its image could not be pinned.
        public var services: [String: String]

        public var description: String {
            services.keys.sorted().map { "\($0): \(services[$0]!)" }.joined(separator: "\n")
        }
    }

    /// The fleet with every image pinned; throws ``Failure`` naming each image that could not be.
    public static func pin(_ fleet: Fleet, with runtime: any Runtime) async throws -> Fleet {
        let (pinned, failures) = await pinWherePossible(fleet, with: runtime)
        guard failures.isEmpty else { throw Failure(services: failures) }
        return pinned
    }

    /// The fleet with the images that could be pinned pinned, and why the others could not.
    public static func pinWherePossible(_ fleet: Fleet, with runtime: any Runtime) async -> (Fleet, [String: String]) {
        var pinned = fleet
        var failures: [String: String] = [:]
        for index in pinned.services.indices {
            do {
                pinned.services[index].image = try await runtime.resolve(pinned.services[index].image)
            } catch {
                failures[pinned.services[index].name] = "\(error)"
            }
        }
        return (pinned, failures)
    }
}
