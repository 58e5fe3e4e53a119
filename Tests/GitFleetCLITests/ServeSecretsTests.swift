import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// Secrets sealed with age in the fleet repository, through a real `gitfleet serve`, real git and real
/// processes: the instance sees the value; nothing the controller writes or answers does.
@Suite("gitfleet serve with sealed secrets", .serialized)
struct ServeSecretsTests {
    /// The fleet's identity made by Debian's age-keygen, and its recipient.
    struct Keys {
        let identityFile: String
        let recipient: String

        init(in directory: TemporaryDirectory, name: String = "controller.key") throws {
            identityFile = directory.appending(name)
            try GitFixture.run(["age-keygen", "-o", identityFile])
            recipient = try GitFixture.run(["age-keygen", "-y", identityFile])
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func fleetFile(_ recipients: [String]) -> String {
        """
        apiVersion: gitfleet/v1
        kind: Fleet
        metadata: {name: shop}
        spec:
          recipients: [\(recipients.joined(separator: ", "))]
        """
    }

    /// web, whose command writes what it sees (env and file) into `seen/<instance>.env` and `.file` first.
    static func web(seen: String) -> String {
        """
        apiVersion: gitfleet/v1
        kind: Service
        metadata: {name: web}
        spec:
          image: demo/web:1.0.0
          replicas: 2
          command:
            - /bin/sh
            - -c
            - printf '%s' "$DB_PASSWORD" > \(seen)/$GITFLEET_INSTANCE_ID.env; cp "$GITFLEET_ROOT/run/secrets/api-key" \(seen)/$GITFLEET_INSTANCE_ID.file; stat -c %a "$GITFLEET_ROOT/run/secrets/api-key" > \(seen)/$GITFLEET_INSTANCE_ID.mode; exec bin/gitfleet-demo
          env:
            LOG_LEVEL: info
            DB_PASSWORD: {secret: db-password}
          secretFiles:
            - {secret: api-key, path: /run/secrets/api-key}
          ports: {http: 0}
          health:
            http: {path: /healthz, port: http}
            interval: 200ms
            startTimeout: 20s
          rollout: {maxSurge: 1, maxUnavailable: 0, progressDeadline: 60s}
          drain: {delay: 200ms, gracePeriod: 5s}
        """
    }

    /// Seals `value` with Debian's age (armored), as a developer without gitfleet would.
    static func sealWithAge(_ value: String, to recipient: String, at path: String) throws {
        let sealed = try GitFixture.run(["age", "-e", "-a", "-r", recipient], input: value)
        try sealed.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Seals `value` with `gitfleet secret seal`, reading the recipients from the working tree's fleet.yaml.
    static func sealWithGitfleet(_ name: String, _ value: String, repository: String) throws {
        try GitFixture.run(
            [try BuiltProducts.path(of: "gitfleet"), "secret", "seal", name, "--repo", repository], input: value)
    }

    /// Whether a note tells the commit's final outcome.
    static func settled(_ note: String) -> Bool {
        ["converged", "rejected", "rolled-back", "failed"].contains { note.contains("\nresult: \($0)") }
    }

    /// The value each live instance saw, by instance id.
    static func seen(in directory: String, suffix: String) -> [String: String] {
        var result: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(suffix)
        {
            result[String(name.dropLast(suffix.count))] = try? String(
                contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
        }
        return result
    }

    @Test(
        "A sealed secret reaches the instances' env and files, never the controller's outputs; re-sealing rolls only a new value; an undecryptable one is rejected"
    )
    func endToEnd() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let keys = try Keys(in: fleet.repository.directory)
        let seen = fleet.repository.directory.appending("seen")
        try FileManager.default.createDirectory(atPath: seen, withIntermediateDirectories: true)
        let git = fleet.repository.git
        let password = "hunter2-\(UUID().uuidString)"
        let apiKey = "api-key-\(UUID().uuidString)"

        try git.write("fleet.yaml", Self.fleetFile([keys.recipient]))
        try git.write("services/web.yaml", Self.web(seen: seen))
        try FileManager.default.createDirectory(
            atPath: "\(git.path)/secrets", withIntermediateDirectories: true)
        // Interop both ways: age's file opens in the controller; gitfleet's opens with age -d.
        try Self.sealWithAge(password, to: keys.recipient, at: "\(git.path)/secrets/db-password.age")
        try Self.sealWithGitfleet("api-key", apiKey, repository: git.path)
        let opened = try GitFixture.run(["age", "-d", "-i", keys.identityFile, "\(git.path)/secrets/api-key.age"])
        #expect(opened == apiKey)
        let v1 = try git.commitAll("web with secrets")
        try fleet.push()

        try await fleet.withServe(remote, extra: ["--secret-identity-file", keys.identityFile]) { serve in
            let first = await remote.waitForNote(on: v1) { Self.settled($0) }
            #expect(first?.contains("result: converged") == true, "\(first ?? "")\n\(serve.log)")
            let live = try await fleet.records().filter { $0.state == .serving }
            #expect(live.count == 2)
            let envs = Self.seen(in: seen, suffix: ".env")
            let files = Self.seen(in: seen, suffix: ".file")
            let modes = Self.seen(in: seen, suffix: ".mode")
            for record in live {
                #expect(envs[record.id] == password, "\(envs)")
                #expect(files[record.id] == apiKey)
                #expect(modes[record.id]?.trimmingCharacters(in: .whitespacesAndNewlines) == "600")
            }

            // Re-sealed with the same value: a new file, the same spec; nothing rolls.
            try Self.sealWithGitfleet("db-password", password, repository: git.path)
            let same = try git.commitAll("re-seal db-password, same value")
            try fleet.push()
            let sameNote = await remote.waitForNote(on: same) { Self.settled($0) }
            #expect(sameNote?.contains("result: converged") == true, "\(sameNote ?? "")")
            let afterSame = try await fleet.records().filter { $0.state == .serving }
            #expect(Set(afterSame.map(\.id)) == Set(live.map(\.id)), "re-sealing the same value replaced instances")

            // A new value: plan (without the identity, against the registry) says only that it changed.
            let rotated = "rotated-\(UUID().uuidString)"
            try Self.sealWithGitfleet("db-password", rotated, repository: git.path)
            let v2 = try git.commitAll("rotate db-password")
            let plan = try await BuiltProducts.gitfleet([
                "plan", "--repo", git.path, "--state-dir", fleet.stateDirectory,
            ])
            #expect(plan.standardOutput.contains("secret db-password changed"), "\(plan)")
            #expect(!plan.standardOutput.contains("secret api-key"), "\(plan)")
            // Without the identity the plan cannot tell a new value from the same one sealed again, and says so.
            #expect(plan.standardOutput.contains("Note: secrets were compared by their sealed files"), "\(plan)")
            try fleet.push()
            let rotatedNote = await remote.waitForNote(on: v2) { Self.settled($0) }
            #expect(rotatedNote?.contains("result: converged") == true, "\(rotatedNote ?? "")\n\(serve.log)")
            let afterRotation = try await fleet.records().filter { $0.state == .serving }
            #expect(afterRotation.count == 2 && Set(afterRotation.map(\.id)).isDisjoint(with: live.map(\.id)))
            let rotatedEnvs = Self.seen(in: seen, suffix: ".env")
            for record in afterRotation { #expect(rotatedEnvs[record.id] == rotated) }

            // Sealed for someone else: the commit is rejected where the manifest refers to it, nothing changes.
            let stranger = try Keys(in: fleet.repository.directory, name: "stranger.key")
            try Self.sealWithAge("nobody-can-read", to: stranger.recipient, at: "\(git.path)/secrets/db-password.age")
            let bad = try git.commitAll("seal db-password for a stranger")
            try fleet.push()
            let badNote = await remote.waitForNote(on: bad) { Self.settled($0) }
            let rejection = try #require(badNote, "\(serve.log)")
            #expect(rejection.contains("result: rejected"), "\(rejection)")
            #expect(rejection.contains("services/web.yaml:13:27: secret db-password"), "\(rejection)")
            #expect(
                Set(try await fleet.records().filter { $0.state == .serving }.map(\.id)) == Set(afterRotation.map(\.id))
            )

            // Nowhere a value: the log, the notes, the API, the registry, status and history.
            var outputs = ["log": serve.log]
            for commit in [v1, same, v2, bad] {
                outputs["note \(commit.prefix(7))"] = remote.gitfleetNote(on: commit) ?? ""
            }
            for path in [
                "/api/v1/status", "/api/v1/live", "/api/v1/services/web", "/api/v1/commits/\(v1)",
                "/api/v1/commits/\(v2)", "/api/v1/commits/\(bad)", "/api/v1/history", "/api/v1/discovery",
                "/api/v1/events", "/metrics",
            ] {
                let answer = try await serve.request("GET", path)
                #expect(answer.status == 200, "\(path): \(answer.status) \(answer.body)")
                outputs[path] = answer.body
            }
            let port = try await serve.port()
            for command in [["status"], ["history"], ["status", "--json"]] {
                let outcome = try await BuiltProducts.gitfleet(command + ["--server", "http://127.0.0.1:\(port)"])
                outputs["gitfleet \(command.joined(separator: " "))"] = outcome.standardOutput + outcome.standardError
            }
            // The database and its write-ahead log, as bytes.
            for name in try FileManager.default.contentsOfDirectory(atPath: fleet.stateDirectory)
            where name.hasPrefix(SQLiteRegistry.fileName) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(fleet.stateDirectory)/\(name)"))
                outputs[name] = String(decoding: bytes, as: UTF8.self)
            }
            #expect(outputs[SQLiteRegistry.fileName] != nil)
            for (place, text) in outputs {
                for value in [password, rotated, apiKey, "nobody-can-read"] {
                    #expect(!text.contains(value), "a secret's value is in \(place)")
                }
            }
            // What the live state does hold: the reference, by name.
            #expect(outputs["/api/v1/live"]?.contains("db-password") == true)
        }
    }

    @Test(
        "A rotation that fails its health check rolls back, and an instance started again for the last good spec gets the old value, read by its sealed file's object id"
    )
    func rollbackKeepsTheOldValue() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let keys = try Keys(in: fleet.repository.directory)
        let seen = fleet.repository.directory.appending("seen")
        try FileManager.default.createDirectory(atPath: seen, withIntermediateDirectories: true)
        let git = fleet.repository.git
        try git.write("fleet.yaml", Self.fleetFile([keys.recipient]))
        // A value of "broken" keeps the instance from ever answering its health check.
        let web = Self.web(seen: seen)
            .replacingOccurrences(
                of: "exec bin/gitfleet-demo",
                with: "if [ \"$DB_PASSWORD\" = broken ]; then exec sleep 600; fi; exec bin/gitfleet-demo"
            )
            .replacingOccurrences(of: "startTimeout: 20s", with: "startTimeout: 2s")
            .replacingOccurrences(of: "progressDeadline: 60s", with: "progressDeadline: 10s")
        try git.write("services/web.yaml", web)
        try Self.sealWithGitfleet("db-password", "good-\(UUID().uuidString)", repository: git.path)
        try Self.sealWithGitfleet("api-key", "k", repository: git.path)
        let good = try String(
            GitFixture.run(["age", "-d", "-i", keys.identityFile, "\(git.path)/secrets/db-password.age"]))
        let v1 = try git.commitAll("web with a good password")
        try fleet.push()

        try await fleet.withServe(remote, extra: ["--secret-identity-file", keys.identityFile]) { serve in
            let first = await remote.waitForNote(on: v1) { Self.settled($0) }
            #expect(first?.contains("result: converged") == true, "\(first ?? "")\n\(serve.log)")
            try Self.sealWithGitfleet("db-password", "broken", repository: git.path)
            let broken = try git.commitAll("a password that breaks web")
            try fleet.push()
            let note = await remote.waitForNote(on: broken, timeout: .seconds(90)) { Self.settled($0) }
            #expect(note?.contains("result: rolled-back") == true, "\(note ?? "")\n\(serve.log)")

            // The head's sealed file now holds "broken"; a replacement of the last good spec must not.
            let serving = try await fleet.records().filter { $0.state == .serving }
            let victim = try #require(serving.first)
            let pid = try #require(Int32(victim.runtimeHandle ?? ""))
            #expect(kill(pid, SIGKILL) == 0)
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            var replacement: InstanceRecord? = nil
            while ContinuousClock.now < deadline, replacement == nil {
                replacement = try await fleet.records().first {
                    $0.state == .serving && $0.id != victim.id && !serving.map(\.id).contains($0.id)
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let started = try #require(replacement, "the killed instance was not replaced\n\(serve.log)")
            #expect(started.specHash == victim.specHash)
            #expect(Self.seen(in: seen, suffix: ".env")[started.id] == good)
        }
    }
}

@Suite("gitfleet secret")
struct SecretCommandTests {
    @Test("keygen writes a 0600 identity age reads, prints its recipient, and never overwrites a file")
    func keygen() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-secret")
        defer { directory.remove() }
        let path = directory.appending("controller.key")
        let made = try await BuiltProducts.gitfleet(["secret", "keygen", "-o", path])
        #expect(made.status == 0, "\(made)")
        let recipient = try GitFixture.run(["age-keygen", "-y", path]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(made.standardOutput == recipient + "\n")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        let again = try await BuiltProducts.gitfleet(["secret", "keygen", "-o", path])
        #expect(again.status != 0 && again.standardError.contains("cannot create \(path)"), "\(again)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == before)
    }

    @Test("seal refuses a fleet without recipients and a bad name, and writes nothing")
    func sealRefusals() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-secret")
        defer { directory.remove() }
        try "apiVersion: gitfleet/v1\nkind: Fleet\nmetadata: {name: shop}\n".write(
            toFile: directory.appending("fleet.yaml"), atomically: true, encoding: .utf8)
        let none = try await BuiltProducts.gitfleet(["secret", "seal", "db", "--repo", directory.path])
        #expect(none.status != 0 && none.standardError.contains("lists no recipients"), "\(none)")
        let bad = try await BuiltProducts.gitfleet(["secret", "seal", "../db", "--repo", directory.path])
        #expect(bad.status != 0 && bad.standardError.contains("not a valid secret name"), "\(bad)")
        #expect(!FileManager.default.fileExists(atPath: directory.appending("secrets")))
    }
}

extension GitFixture {
    /// Stages everything (the sealed files were written by age and gitfleet, not through the fixture) and commits.
    fileprivate func commitAll(_ message: String) throws -> String {
        try git("add", "-A")
        return try commit(message)
    }
}
