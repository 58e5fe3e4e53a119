import FleetController
import FleetModel
import FleetRuntime
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet apply` and `gitfleet serve` with `--runtime docker` deploying an image from a private registry,
/// with and without `--docker-config-file`.
@Suite("gitfleet apply and serve with a private registry", .serialized)
struct PrivateRegistryCommandTests {
    static let password = "apply-secret-0xC0FFEE"

    @Test("Without credentials apply fails naming the registry; with --docker-config-file it deploys the image")
    func applyWithAndWithoutCredentials() async throws {
        let image = try await PrivateDemoImage(password: Self.password)
        defer { image.tearDown() }
        let (registry, engine) = (image.registry, image.engine)
        let repository = try FleetRepository()
        defer { repository.remove() }
        try repository.git.write(
            "services/web.yaml", FleetRepository.service("web", image: "\(image.reference.repository):1.0", replicas: 1)
        )
        _ = try repository.git.commit("web from the private registry")

        let stateDirectory = repository.directory.appending("state")
        let arguments = [
            "apply", "--repo", repository.path, "--state-dir", stateDirectory, "--timeout", "90s",
            "--runtime", "docker", "--docker-hosts", "unix://\(engine.socketPath)",
        ]
        let refused = try await BuiltProducts.gitfleet(arguments)
        #expect(refused.status != 0, "\(refused)")
        let said = refused.standardOutput + refused.standardError
        #expect(
            said.contains(
                "registry \(registry.address) refused a pull without credentials (no dockerConfigFile is set)"),
            "\(refused)")

        let config = repository.directory.appending("config.json")
        try image.writeConfig(to: config, password: Self.password)
        let deployed = try await BuiltProducts.gitfleet(arguments + ["--docker-config-file", config])
        #expect(deployed.status == 0, "\(deployed)")
        let all = deployed.standardOutput + deployed.standardError + said
        #expect(!all.contains(Self.password), "the credentials never appear in output")
        let running = try await engine.podman([
            "ps", "--filter", "label=gitfleet.service=web", "--format", "{{.Names}}",
        ])
        #expect(running.standardOutput.split(separator: "\n").count == 1, "the instance runs: \(running)")
    }

    @Test(
        "serve rejects a commit whose image the registry refuses, naming it in the note, API and log, never the password"
    )
    func serveReportsRefusal() async throws {
        let privateImage = try await PrivateDemoImage(password: Self.password)
        defer { privateImage.tearDown() }
        let (registry, engine) = (privateImage.registry, privateImage.engine)
        let image = "\(privateImage.reference.repository):1.0"
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let config = fleet.repository.directory.appending("config.json")
        func writeConfig(password: String) throws { try privateImage.writeConfig(to: config, password: password) }
        let wrongPassword = "wrong-0xBADBAD"
        try writeConfig(password: wrongPassword)
        let refusedCommit = try fleet.commitWeb(image, replicas: 1)
        try fleet.push()
        let extra = [
            "--runtime", "docker", "--docker-hosts", "unix://\(engine.socketPath)", "--docker-config-file", config,
            "--log-level", "debug",
        ]
        try await fleet.withServe(remote, extra: extra) { serve in
            let note = await remote.waitForNote(on: refusedCommit) { $0.contains("\nresult: rejected") }
            let refusal = "registry \(registry.address) refused the credentials (user \(registry.username))"
            #expect(note?.contains(refusal) == true, "\(note ?? "no note")\n\(serve.log)")
            // The event says the images cannot be pinned; the commit's errors (note, API, log) say why.
            let events = try await serve.events()
            #expect(events.contains { $0.type == .commitRejected && $0.commit == refusedCommit }, "\(events)")
            let commit = try await serve.request("GET", "/api/v1/commits/\(refusedCommit)")
            let document = try JSONSerialization.jsonObject(with: Data(commit.body.utf8)) as? [String: Any]
            #expect(document?["state"] as? String == "rejected", "\(commit.body)")
            #expect(
                (document?["errors"] as? [String])?.contains { $0.hasPrefix("web: credentialsRefused: \(refusal)") }
                    == true, "\(commit.body)")
            #expect(serve.log.contains(refusal), "\(serve.log)")
            let status = try await serve.request("GET", "/api/v1/status")
            let eventsBody = try await serve.request("GET", "/api/v1/events")
            for text in [note ?? "", serve.log, status.body, eventsBody.body, commit.body] {
                #expect(!text.contains(wrongPassword) && !text.contains(Self.password), "\(text)")
            }

            // The rotated file is read at the next pull: a new commit deploys without a restart.
            try writeConfig(password: Self.password)
            let deployed = try fleet.commitWeb(image, replicas: 1, progressDeadline: "31s")
            try fleet.push()
            let converged = await remote.waitForNote(on: deployed) { $0.contains("\nresult: converged") }
            #expect(converged?.contains("\nresult: converged") == true, "\(converged ?? "")\n\(serve.log)")
            #expect(!serve.log.contains(Self.password))
        }
    }
}
