import FleetModel
import Foundation

/// Services and instances for planner tests, built directly as values.
enum Fixture {
    static let epoch = Date(timeIntervalSince1970: 1_795_000_000)

    static func image(_ text: String) -> ImageReference {
        var problem: String? = nil
        guard let image = ImageReference(parsing: text, problem: &problem) else {
            fatalError("bad fixture image \(text): \(problem ?? "?")")
        }
        return image
    }

    static func spec(
        _ name: String, image: String = "demo/app:1.0.0", replicas: Int = 1, env: [String: String] = [:],
        dependsOn: [String] = []
    ) -> ServiceSpec {
        ServiceSpec(
            name: name, image: Fixture.image(image), replicas: replicas, command: ["/app/\(name)"], env: env,
            ports: ["http": 0], dependsOn: dependsOn)
    }

    /// `count` instances of `spec` named `<service>-<prefix><n>`, running its image unless told otherwise.
    static func instances(
        _ count: Int, of spec: ServiceSpec, state: InstanceState = .serving, image: String? = nil,
        prefix: String = ""
    ) -> [InstanceRecord] {
        (0..<count).map { index in
            InstanceRecord(
                id: "\(spec.name)-\(prefix)\(index)", service: spec.name, specHash: SpecHash(spec),
                revision: "0123456789abcdef0123456789abcdef01234567", image: image ?? spec.image.description,
                state: state, address: "127.0.0.1", ports: ["http": 8000 + index], runtimeHandle: "pid:\(4000 + index)",
                createdAt: epoch.addingTimeInterval(Double(index)))
        }
    }

    static func fleet(_ services: [ServiceSpec], revision: String? = "0123456789abcdef0123456789abcdef01234567")
        -> Fleet
    {
        Fleet(name: "production", services: services, revision: revision)
    }
}
