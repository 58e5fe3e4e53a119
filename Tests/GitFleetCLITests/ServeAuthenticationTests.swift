import FleetPlanner
import Foundation
import GitFleetTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `gitfleet serve` with API tokens, its refusal to expose an open API, the webhook listener and TLS: real
/// processes, real HTTP, certificates made with the openssl CLI.
@Suite("gitfleet serve: API tokens, listeners and TLS", .serialized)
struct ServeAuthenticationTests {
    /// One answer, with the challenge header a 401 or 403 carries.
    struct Answer {
        var status: Int
        var body: String
        var challenge: String?
    }

    static func call(_ port: Int, _ method: String, _ path: String, token: String? = nil, body: String? = nil)
        async throws -> Answer
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 15
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return Answer(
            status: http?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self),
            challenge: http?.value(forHTTPHeaderField: "WWW-Authenticate"))
    }

    /// Writes `secret` to `path` as a rotation does: a new file renamed over the old one.
    static func writeToken(_ secret: String, to path: String) throws {
        try (secret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test(
        "With tokens: 401 without one, 200 with read, 403 for an action with read, operate acts and is named; no token in the log; a rotated token file is honoured"
    )
    func tokens() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let good = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        let readFile = fleet.repository.directory.appending("token-ci")
        let operateFile = fleet.repository.directory.appending("token-oncall")
        let readSecret = "read-\(UUID().uuidString)"
        let operateSecret = "operate-\(UUID().uuidString)"
        try Self.writeToken(readSecret, to: readFile)
        try Self.writeToken(operateSecret, to: operateFile)
        let tokens = "ci scope=read file=\(readFile),oncall scope=operate file=\(operateFile)"
        try await fleet.withServe(remote, extra: ["--api-tokens", tokens]) { serve in
            let port = try await serve.port()
            let server = "http://127.0.0.1:\(port)"

            let anonymous = try await Self.call(port, "GET", "/api/v1/status")
            #expect(anonymous.status == 401, "\(anonymous)")
            #expect(anonymous.body.contains(#""error":"unauthorized""#), "\(anonymous)")
            #expect(anonymous.challenge?.hasPrefix(#"Bearer realm="gitfleet""#) == true, "\(anonymous)")
            let wrong = try await Self.call(port, "GET", "/api/v1/status", token: "not-a-token")
            #expect(wrong.status == 401, "\(wrong)")
            #expect(wrong.challenge?.contains(#"error="invalid_token""#) == true, "\(wrong)")
            let unknownRoute = try await Self.call(port, "GET", "/api/v1/nosuch")
            #expect(unknownRoute.status == 401, "a route that does not exist is not told apart without a token")
            for open in ["/healthz", "/readyz", "/metrics"] {
                let answer = try await Self.call(port, "GET", open)
                #expect([200, 503].contains(answer.status), "\(open) needs no token: \(answer)")
            }
            let read = try await Self.call(port, "GET", "/api/v1/status", token: readSecret)
            #expect(read.status == 200, "\(read)")

            let note = await remote.waitForNote(on: good) { $0.contains("\nresult: converged") }
            try #require(note?.contains("\nresult: converged") == true, "\(serve.log)")
            let broken = try fleet.commitWeb("demo/web:broken", replicas: 1, progressDeadline: "30s")
            try fleet.push()
            let deadline = ContinuousClock.now.advanced(by: .seconds(180))
            var failed = false
            while ContinuousClock.now < deadline && !failed {
                let live = try await Self.call(port, "GET", "/api/v1/live", token: readSecret)
                let document = try? LiveStateFile.decodeDocument(Data(live.body.utf8), file: "live")
                failed =
                    document?.rollouts.contains {
                        $0.service == "web" && $0.phase == "rolledBack" && $0.targetRevision == broken
                    } == true
                if !failed { try await Task.sleep(for: .milliseconds(500)) }
            }
            try #require(failed, "the broken commit never rolled back:\n\(serve.log)")

            let forbidden = try await Self.call(port, "POST", "/api/v1/services/web/retry", token: readSecret)
            #expect(forbidden.status == 403, "\(forbidden)")
            #expect(forbidden.body.contains(#""error":"insufficient_scope""#), "\(forbidden)")
            #expect(forbidden.challenge?.contains(#"scope="operate""#) == true, "\(forbidden)")
            // The CLI says which flag and which scope.
            let cliForbidden = try await BuiltProducts.gitfleet([
                "retry", "web", "--server", server, "--server-token-file", readFile,
            ])
            #expect(cliForbidden.status == 1, "\(cliForbidden)")
            #expect(cliForbidden.standardError.contains("--server-token-file"), "\(cliForbidden)")
            #expect(cliForbidden.standardError.contains("scope operate"), "\(cliForbidden)")
            let cliAnonymous = try await BuiltProducts.gitfleet(["status", "--server", server])
            #expect(cliAnonymous.status == 1, "\(cliAnonymous)")
            #expect(cliAnonymous.standardError.contains("give --server-token-file"), "\(cliAnonymous)")

            let retried = try await BuiltProducts.gitfleet([
                "retry", "web", "--server", server, "--server-token-file", operateFile,
            ])
            #expect(retried.status == 0, "\(retried)\n\(serve.log)")
            #expect(retried.standardOutput.contains("will be tried again"), "\(retried)")
            let events = try await Self.call(port, "GET", "/api/v1/events?limit=1000", token: readSecret)
            let object = try JSONSerialization.jsonObject(with: Data(events.body.utf8)) as? [String: Any]
            let retry = (object?["events"] as? [[String: Any]])?.first { $0["type"] as? String == "rollout-retried" }
            #expect(retry?["by"] as? String == "oncall", "\(events.body)")
            #expect(serve.log.contains("as oncall asked"), "\(serve.log)")

            // Rotation: the old secret stops working and the new one works, with no restart.
            let rotated = "rotated-\(UUID().uuidString)"
            try Self.writeToken(rotated, to: readFile)
            var old = Answer(status: 0, body: "", challenge: nil)
            var new = old
            for _ in 0..<60 {
                old = try await Self.call(port, "GET", "/api/v1/status", token: readSecret)
                new = try await Self.call(port, "GET", "/api/v1/status", token: rotated)
                if old.status == 401 && new.status == 200 { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(old.status == 401, "the rotated-out token still works: \(old)")
            #expect(new.status == 200, "the rotated-in token does not work: \(new)")

            let log = serve.log
            for secret in [readSecret, operateSecret, rotated] {
                #expect(!log.contains(secret), "a token appears in the log")
            }
        }
    }

    @Test("Without tokens, serve refuses a listenHost that is not loopback, naming the setting and what to do")
    func refusesOpenExposure() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-exposure")
        let flag = try await BuiltProducts.gitfleet([
            "serve", "--repo", directory.path, "--state-dir", directory.appending("state"), "--listen-host", "0.0.0.0",
        ])
        #expect(flag.status != 0, "\(flag)")
        #expect(flag.standardError.contains("--listen-host: listenHost '0.0.0.0' is not a loopback address"), "\(flag)")
        #expect(flag.standardError.contains("set apiTokens"), "\(flag)")
        #expect(flag.standardError.contains("allowUnauthenticated: true"), "\(flag)")

        let file = directory.appending("gitfleet.yaml")
        try "repo: \(directory.path)\nlistenHost: 0.0.0.0\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try await BuiltProducts.gitfleet(["serve", "--config", file])
        #expect(fromFile.status != 0, "\(fromFile)")
        #expect(fromFile.standardError.contains("\(file):2:"), "the problem names the file and line: \(fromFile)")
        #expect(fromFile.standardError.contains("listenHost"), "\(fromFile)")
    }

    @Test("webhookListen serves signed webhooks and /healthz only; the main listener no longer serves webhooks")
    func webhookListener() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let v1 = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        let secretFile = fleet.repository.directory.appending("generic-secret")
        try "s3cret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let extra = [
            "--poll-interval", "10m", "--generic-secret-file", secretFile, "--webhook-listen", "127.0.0.1:0",
        ]
        try await fleet.withServe(remote, extra: extra) { serve in
            let main = try await serve.port()
            let port = try #require(try await Self.webhookPort(serve), "no webhook listener:\n\(serve.log)")
            _ = await remote.waitForNote(on: v1) { $0.contains("\nresult: converged") }
            let v2 = try fleet.commitWeb("demo/web:1.1.0", replicas: 1)
            try fleet.push()
            let body = Data(#"{"ref": "refs/heads/main", "after": "\#(v2)"}"#.utf8)
            let headers = [
                "Content-Type": "application/json",
                "X-Signature-256": ServeTrustAndWebhookTests.signature(body, secret: "s3cret"),
            ]

            let onMain = try await serve.request("POST", "/webhooks/generic", body: body, headers: headers)
            #expect(onMain.status == 404, "the main listener still serves webhooks: \(onMain)")
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/generic")!)
            request.httpMethod = "POST"
            request.httpBody = body
            request.timeoutInterval = 15
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 202, "\(response)")
            let note = await remote.waitForNote(on: v2, timeout: .seconds(60)) { $0.contains("\nresult: converged") }
            #expect(note?.contains("result: converged") == true, "\(serve.log)")

            #expect(try await Self.call(port, "GET", "/healthz").status == 200)
            #expect(try await Self.call(port, "GET", "/api/v1/status").status == 404, "the API is on the webhook port")
            #expect(try await Self.call(port, "GET", "/metrics").status == 404, "metrics are on the webhook port")
            #expect(try await Self.call(main, "GET", "/api/v1/status").status == 200)
        }
    }

    @Test("TLS: the API and the webhook listener answer over https to a client that trusts the CA, and only to it")
    func tls() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        _ = try fleet.commitWeb("demo/web:1.0.0", replicas: 1)
        try fleet.push()
        let directory = fleet.repository.directory
        let pki = try Self.makeCertificate(in: directory.path)
        let tokenFile = directory.appending("token-ci")
        try Self.writeToken("tls-\(UUID().uuidString)", to: tokenFile)
        let extra = [
            "--tls-cert-file", pki.certificate, "--tls-key-file", pki.key,
            "--api-tokens", "ci scope=read file=\(tokenFile)", "--webhook-listen", "127.0.0.1:0",
            "--webhook-tls-cert-file", pki.certificate, "--webhook-tls-key-file", pki.key,
        ]
        try await fleet.withServe(remote, extra: extra) { serve in
            let server = "https://127.0.0.1:\(try await serve.port())"
            let trusted = try await BuiltProducts.gitfleet([
                "status", "--server", server, "--server-ca-file", pki.ca, "--server-token-file", tokenFile,
            ])
            #expect(trusted.status == 0, "\(trusted)\n\(serve.log)")
            #expect(trusted.standardOutput.contains("web"), "\(trusted)")
            let untrusted = try await BuiltProducts.gitfleet([
                "status", "--server", server, "--server-token-file", tokenFile,
            ])
            #expect(untrusted.status != 0, "a certificate no trusted CA signed was accepted: \(untrusted)")
            let plain = try await BuiltProducts.gitfleet([
                "status", "--server", "http://127.0.0.1:\(try await serve.port())", "--server-token-file", tokenFile,
            ])
            #expect(plain.status != 0, "the TLS listener answered plain HTTP: \(plain)")

            let webhooks = try #require(try await Self.webhookPort(serve), "\(serve.log)")
            let health = try await BuiltProducts.run(
                "/usr/bin/curl",
                ["-sS", "--max-time", "10", "--cacert", pki.ca, "https://127.0.0.1:\(webhooks)/healthz"])
            #expect(health.status == 0 && health.standardOutput == "ok\n", "\(health)")
            let distrusted = try await BuiltProducts.run(
                "/usr/bin/curl", ["-sS", "--max-time", "10", "https://127.0.0.1:\(webhooks)/healthz"])
            #expect(distrusted.status != 0, "the webhook listener's certificate was trusted without the CA")
        }
    }

    /// The webhook listener's port, from the line serve logs once it is bound; nil if it never says.
    static func webhookPort(_ serve: ServeProcess) async throws -> Int? {
        for _ in 0..<200 {
            let line = serve.log.split(separator: "\n").first { $0.contains("serving webhooks on ") }
            if let port = line.flatMap({ $0.split(separator: ":").last }).flatMap({
                Int($0.trimmingCharacters(in: .whitespaces))
            }) {
                return port
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// A CA and a server certificate for 127.0.0.1 and localhost that it signed, made with the openssl CLI.
    static func makeCertificate(in directory: String) throws -> (ca: String, certificate: String, key: String) {
        let ca = directory + "/ca.pem"
        let caKey = directory + "/ca.key"
        let key = directory + "/server.key"
        let request = directory + "/server.csr"
        let certificate = directory + "/server.pem"
        let extensions = directory + "/server.ext"
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        for arguments in [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2",
                "-subj", "/CN=gitfleet test CA",
            ],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1"],
            [
                "x509", "-req", "-in", request, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", certificate,
                "-days", "2", "-extfile", extensions,
            ],
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw FixtureError("openssl \(arguments) failed") }
        }
        return (ca, certificate, key)
    }
}
