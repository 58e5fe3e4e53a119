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
    ///
    /// Each distinct image is resolved once: resolving hashes the image's content (the process runtime reads
    /// every file of it), and a fleet's services mostly share a few images, so resolving per service cost
    /// ~0.3 s on 1,000 services at every admission, `plan` and start of `serve`. All services of one image
    /// get the same answer, as they would have within one pinning anyway.
    public static func pinWherePossible(_ fleet: Fleet, with runtime: any Runtime) async -> (Fleet, [String: String]) {
        var pinned = fleet
        var failures: [String: String] = [:]
        var resolved: [ImageReference: Result<ImageReference, Unresolved>] = [:]
        for index in pinned.services.indices {
            let image = pinned.services[index].image
            let result: Result<ImageReference, Unresolved>
            if let known = resolved[image] {
                result = known
            } else {
                do {
                    result = .success(try await runtime.resolve(image))
                } catch {
                    result = .failure(Unresolved(reason: "\(error)"))
                }
                resolved[image] = result
            }
            switch result {
            case .success(let reference): pinned.services[index].image = reference
            case .failure(let unresolved): failures[pinned.services[index].name] = unresolved.reason
            }
        }
        return (pinned, failures)
    }

    /// Why an image could not be resolved, kept for the other services of the same image.
    private struct Unresolved: Error {
        var reason: String
    }
}
