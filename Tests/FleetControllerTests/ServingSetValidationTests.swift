import FleetController
import GitFleetTesting
import Testing

/// What a discovery agent refuses to render: every field an output writes, each with where and what was expected.
@Suite("A serving set from beyond the process is validated before it is rendered", .tags(.fast))
struct ServingSetValidationTests {
    static func endpoint(
        instance: String = "web-1a2b", address: String = "10.0.0.7", ports: [String: Int] = ["http": 8080],
        specHash: String = String(repeating: "ab", count: 32), image: String = "registry.example/web:1.2@sha256:0f",
        weight: Int = 1
    ) -> ServingSet.Endpoint {
        ServingSet.Endpoint(
            instance: instance, address: address, ports: ports, specHash: specHash, image: image, weight: weight)
    }

    @Test("What the controller serves passes: IPv4, IPv6, host names, a service without endpoints")
    func valid() throws {
        let set = ServingSet(services: [
            "web": [Self.endpoint(), Self.endpoint(instance: "web-2", address: "fd00::7")],
            "api": [Self.endpoint(instance: "api_1.x", address: "api-1.internal.example", weight: 40)],
            "empty": [],
        ])
        try set.validate()
    }

    @Test(
        "Each refused field names its path, its instance and what was expected",
        arguments: [
            (
                ServingSet(services: ["Web;": []]),
                "the discovery document is refused: services: 'Web;' is not a service name (expected a DNS label: "
                    + "lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)"
            ),
            (
                ServingSet(services: ["web": [endpoint(instance: "web 1; }")]]),
                "services.web[0].instance: 'web 1; }' is not an instance id"
            ),
            (
                ServingSet(services: ["web": [endpoint(), endpoint(instance: "web-2", address: "10.0.0.8:80; }\n")]]),
                "services.web[1].address (instance web-2): '10.0.0.8:80; }\\u{a}' is not an address (expected an "
                    + "IPv4 or IPv6 address or a host name)"
            ),
            (
                ServingSet(services: ["web": [endpoint(address: "-bad-.example")]]),
                "services.web[0].address (instance web-1a2b): '-bad-.example' is not an address"
            ),
            (
                ServingSet(services: ["web": [endpoint(ports: ["http": 70000])]]),
                "services.web[0].ports.http (instance web-1a2b): 70000 is not a port (expected 1 to 65535)"
            ),
            (
                ServingSet(services: ["web": [endpoint(ports: ["http": 0])]]),
                "services.web[0].ports.http (instance web-1a2b): 0 is not a port"
            ),
            (
                ServingSet(services: ["web": [endpoint(ports: ["HTTP;": 80])]]),
                "services.web[0].ports (instance web-1a2b): 'HTTP;' is not a port name"
            ),
            (
                ServingSet(services: ["web": [endpoint(weight: 0)]]),
                "services.web[0].weight (instance web-1a2b): 0 is not a weight (expected 1 or more)"
            ),
            (
                ServingSet(services: ["web": [endpoint(specHash: "zz; }")]]),
                "services.web[0].specHash (instance web-1a2b): 'zz; }' is not a spec hash (expected lower-case hex)"
            ),
            (
                ServingSet(services: ["web": [endpoint(image: "web:1 } server evil")]]),
                "services.web[0].image (instance web-1a2b): 'web:1 } server evil' is not an image reference"
            ),
        ])
    func refused(set: ServingSet, message: String) throws {
        let refusal = #expect(throws: ServingSetRefusal.self) { try set.validate() }
        #expect(refusal?.description.contains(message) == true, "\(refusal.map { "\($0)" } ?? "no refusal")")
    }

    @Test("A long hostile value is quoted short, with control characters escaped")
    func quotedShort() throws {
        let set = ServingSet(services: ["web": [Self.endpoint(address: String(repeating: "a\r", count: 500))]])
        let refusal = #expect(throws: ServingSetRefusal.self) { try set.validate() }
        let text = refusal?.description ?? ""
        #expect(text.count < 600, "at most 100 characters of the 1000 are quoted: \(text)")
        #expect(!text.contains("\r") && text.contains("\\u{d}") && text.contains("…"), "\(text)")
    }
}
