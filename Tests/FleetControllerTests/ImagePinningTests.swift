import FleetController
import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Synchronization
import Testing

/// Pinning resolves each distinct image once, however many services use it: resolving hashes the image's
/// whole content on a process runtime.
@Suite("ImagePinning")
struct ImagePinningTests {
    /// A real ProcessRuntime that counts the resolves asked of it, by image.
    final class CountingRuntime: ForwardingRuntime, @unchecked Sendable {
        let counts = Mutex<[ImageReference: Int]>([:])

        override func resolve(_ image: ImageReference) async throws -> ImageReference {
            counts.withLock { $0[image, default: 0] += 1 }
            return try await base.resolve(image)
        }
    }

    @Test func eachImageIsResolvedOnceAndEveryServiceOfItIsPinned() async throws {
        let fixture = try RuntimeFixtures.processRuntimeFixture()
        defer { try? fixture.tearDown() }
        let base = try #require(try fixture.makeRuntime() as? ProcessRuntime)
        let one = try await fixture.installDemoImage("1.0", [:])
        let two = try await fixture.installDemoImage("2.0", ["VERSION": "2"])
        let missing = ImageReference(repository: one.repository, tag: "9.9")
        let runtime = CountingRuntime(base: base)
        let images = (0..<30).map { [one, two, missing][$0 % 3] }
        let fleet = Fleet(
            name: "test",
            services: images.enumerated().map { ServiceSpec(name: "svc-\($0.offset)", image: $0.element) })

        let (pinned, failures) = await ImagePinning.pinWherePossible(fleet, with: runtime)

        #expect(runtime.counts.withLock { $0 } == [one: 1, two: 1, missing: 1])
        let digestOne = try await base.resolve(one).digest
        let digestTwo = try await base.resolve(two).digest
        #expect(digestOne != nil && digestOne != digestTwo)
        for service in pinned.services {
            let index = try #require(Int(service.name.dropFirst("svc-".count)))
            switch index % 3 {
            case 0: #expect(service.image.digest == digestOne)
            case 1: #expect(service.image.digest == digestTwo)
            default:
                #expect(service.image.digest == nil)
                #expect(failures[service.name]?.contains("no image") == true, "\(failures[service.name] ?? "")")
            }
        }
        #expect(failures.count == 10)
    }
}
