import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet validate")
struct ValidateCommandTests {
    @Test("The example fleet is valid")
    func examplesAreValid() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        _ = try repository.commitExamples()
        let outcome = try await BuiltProducts.gitfleet(["validate", "--repo", repository.path])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("2 services, valid"), "\(outcome)")
    }

    @Test("A repository of rejection cases exits 1 and lists every one with file:line:column")
    func everyRejectionAtOnce() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        let git = repository.git
        try git.write(
            "services/web.yaml",
            """
            apiVersion: gitfleet/v1
            kind: Service
            metadata:
              name: web
            spec:
              image: demo/web:1.0.0
              replica: 3
              ports: {http: 70000}
              rollout:
                maxSurge: 0
                maxUnavailable: 0
            """)
        try git.write(
            "services/api.yaml",
            """
            apiVersion: gitfleet/v1
            kind: Service
            metadata:
              name: API_Server
            spec:
              image: demo/api:1.0.0
              replicas: -2
            """)
        try git.write(
            "services/dup.yaml",
            "apiVersion: gitfleet/v1\nkind: Service\nmetadata: {name: web}\nspec: {image: demo/web:1.0.0}\n")
        try git.write(
            "services/cycle.yaml",
            """
            apiVersion: gitfleet/v1
            kind: Service
            metadata: {name: a}
            spec: {image: demo/a:1, dependsOn: [b]}
            ---
            apiVersion: gitfleet/v1
            kind: Service
            metadata: {name: b}
            spec: {image: demo/b:1, dependsOn: [a]}
            """)
        try git.write(
            "services/ghost.yaml",
            "apiVersion: gitfleet/v1\nkind: Service\nmetadata: {name: c}\nspec:\n  image: demo/c:1\n  dependsOn: [ghost]\n"
        )
        try git.write(
            "services/latin1.yaml",
            bytes: Array("apiVersion: gitfleet/v1\nkind: Service\nmetadata: {name: caf".utf8) + [0xE9, 0x7D, 0x0A])
        try git.write(
            "services/bomb.yaml",
            (["a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]"]
                + zip("bcdef", "abcde").map {
                    "\($0): &\($0) [" + Array(repeating: "*\($1)", count: 9).joined(separator: ",") + "]"
                })
                .joined(separator: "\n") + "\n")
        try git.symlink("services/link.yaml", to: "web.yaml")
        try git.write("services/big.yaml", "# " + String(repeating: "x", count: 1 << 20) + "\n")
        try git.write("services/empty.yaml", "\n")
        try git.write("services/list.yaml", "- just a list\n")
        _ = try git.commit("every way to get a manifest wrong")

        let outcome = try await BuiltProducts.gitfleet(["validate", "--repo", repository.path])
        #expect(outcome.status == 1, "\(outcome)")
        let expected = [
            "services/api.yaml:4:9: metadata.name: 'API_Server' is not a valid name",
            "services/api.yaml:7:13: spec.replicas: -2 must not be negative",
            "services/big.yaml:1:1: the file is 1048579 bytes, over the limit of 1048576 bytes",
            "services/bomb.yaml:5:8: the document expands to more than 10000 YAML nodes",
            "services/cycle.yaml:9:37: spec.dependsOn[0]: dependency cycle: a → b → a",
            "services/empty.yaml:1:1: the file is empty",
            "services/ghost.yaml:6:15: spec.dependsOn[0]: ",
            "services/latin1.yaml:3:22: the file is not valid UTF-8 text",
            "services/link.yaml:1:1: symbolic links are not allowed",
            "services/list.yaml:1:1: found a list",
            "services/web.yaml:4:9: metadata.name: service 'web' is already defined at services/dup.yaml:3:18",
            "services/web.yaml:7:3: spec.replica: unknown field 'replica'; did you mean 'replicas'?",
            "services/web.yaml:8:17: spec.ports.http: 70000 is out of range",
            "services/web.yaml:10:5: spec.rollout: maxSurge 0 and maxUnavailable 0 both resolve to 0",
        ]
        for line in expected {
            #expect(outcome.standardError.contains(line), "missing: \(line)\n\(outcome.standardError)")
        }
        #expect(outcome.standardError.contains("\(expected.count) errors in the fleet repository"), "\(outcome)")
    }

    @Test(
        "Usage errors exit 64 with a one-line hint",
        arguments: [["plan", "--bogus"], ["validate", "extra"], ["apply", "--timeout", "soon"]])
    func usageErrors(arguments: [String]) async throws {
        let outcome = try await BuiltProducts.gitfleet(arguments)
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.standardError.split(separator: "\n").count == 1, "\(outcome)")
        #expect(outcome.standardError.contains("gitfleet --help"), "\(outcome)")
    }

    @Test("A revision that does not exist is an error that names it")
    func unknownRevision() async throws {
        let repository = try FleetRepository()
        defer { repository.remove() }
        _ = try repository.commitExamples()
        let outcome = try await BuiltProducts.gitfleet([
            "validate", "--repo", repository.path, "--rev", "no-such-branch",
        ])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("no-such-branch"), "\(outcome)")
    }
}
