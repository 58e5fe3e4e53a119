import FleetModel
import Foundation
import GitFleetTesting
import Testing

@Suite("Status annotation")
struct StatusAnnotationTests {
    static let at = Date(timeIntervalSince1970: 1_795_352_531)  // 2026-11-22T13:02:11Z
    static let revision = "7f9c2b1e4d5a6f708192a3b4c5d6e7f801234567"

    static func sample(_ result: DeploymentResult) -> StatusAnnotation {
        StatusAnnotation(
            result: result, fleet: "production", controller: "gitfleet-7f9c", at: at, revision: revision,
            reason: result == .converged || result == .inProgress
                ? nil : "web: 2 of 3 instances failed the health check",
            errors: result == .rejected
                ? ["services/web.yaml:3:12: spec.replicas: expected a number, found a string"] : [],
            signature: StatusAnnotation.Signature(method: "ssh", signer: "tester@gitfleet.invalid"),
            rewrite: nil,
            services: [
                "web": ServiceStatus(
                    result: result, from: "shop/web:1.4.2@sha256:" + String(repeating: "a", count: 64),
                    to: "shop/web:1.5.0@sha256:" + String(repeating: "b", count: 64), created: 3, destroyed: 3,
                    took: .seconds(41)),
                "db": ServiceStatus(result: .converged),
            ])
    }

    @Test("a service the commit removed is listed with the image it ran, no target, and result removed")
    func removedService() throws {
        var annotation = Self.sample(.converged)
        annotation.services["api"] = ServiceStatus(
            result: .removed, from: "shop/api:2@sha256:" + String(repeating: "c", count: 64), destroyed: 2,
            took: .seconds(3))
        let text = annotation.yaml()
        #expect(text.contains("\n  api: {result: removed, from: "), "\(text)")
        #expect(try StatusAnnotation(yaml: text) == annotation)
    }

    @Test("every result round-trips through its YAML", arguments: DeploymentResult.allCases)
    func roundTrip(result: DeploymentResult) throws {
        let annotation = Self.sample(result)
        let text = annotation.yaml()
        #expect(try StatusAnnotation(yaml: text) == annotation)
        #expect(text.contains("\nresult: \(result.rawValue)\n"))
    }

    @Test("the note reads exactly as designed")
    func golden() {
        var annotation = Self.sample(.rolledBack)
        annotation.reason = "web: the new instances never became healthy\nrolled back to shop/web:1.4.2"
        annotation.rewrite = StatusAnnotation.Rewrite(
            from: "0123456789abcdef0123456789abcdef01234567",
            note: "history rewritten: 7f9c2b1e4d5a does not descend from 0123456789ab")
        annotation.services["web"]?.reason = "health check: GET /healthz returned 503"
        let digestA = String(repeating: "a", count: 64)
        let digestB = String(repeating: "b", count: 64)
        let expected = """
            gitfleet: v1
            result: rolled-back
            fleet: production
            controller: gitfleet-7f9c
            at: 2026-11-22T13:02:11Z
            revision: 7f9c2b1e4d5a6f708192a3b4c5d6e7f801234567
            reason: |-
              web: the new instances never became healthy
              rolled back to shop/web:1.4.2
            signature: {method: ssh, signer: tester@gitfleet.invalid}
            rewrite: {from: 0123456789abcdef0123456789abcdef01234567, note: "history rewritten: 7f9c2b1e4d5a does not descend from 0123456789ab"}
            services:
              db: {result: converged, created: 0, destroyed: 0}
              web: {result: rolled-back, from: "shop/web:1.4.2@sha256:\(digestA)", to: "shop/web:1.5.0@sha256:\(digestB)", created: 3, destroyed: 3, took: 41s, reason: "health check: GET /healthz returned 503"}

            """
        #expect(annotation.yaml() == expected)
    }

    @Test("a rejected commit lists every validation error, one per line")
    func rejectedErrors() throws {
        var annotation = Self.sample(.rejected)
        annotation.services = [:]
        annotation.signature = nil
        annotation.errors = [
            "services/web.yaml:3:12: spec.replicas: expected a number, found a string",
            "services/db.yaml:1:1: metadata.name: is missing",
        ]
        let text = annotation.yaml()
        #expect(
            text.hasSuffix(
                """
                errors:
                  - "services/web.yaml:3:12: spec.replicas: expected a number, found a string"
                  - "services/db.yaml:1:1: metadata.name: is missing"

                """))
        #expect(try StatusAnnotation(yaml: text) == annotation)
    }

    static let hostileTexts: [String] = [
        "line one: with colon\n---\n\"quoted\" and 'single'\n  indented # not a comment\n...\n- not a list",
        "ends with a newline: yes\n",
        "  leading spaces\nsecond",
        "trailing spaces   \nsecond",
        "two\n\n\nblank lines",
        "tab\there and a backslash \\ and {flow: [x]}",
        "carriage\r\nreturn",
        "unicode: Grüße ✓ 🚀 and a bell \u{07} and NEL \u{85} and LS \u{2028} and BOM \u{FEFF}",
        "",
        "---",
        "- item",
        "true",
        "0x1F",
        "1e5",
        "null",
        "~",
        "yes",
        "# comment",
        "&anchor *alias !tag |block >folded %directive @at `tick`",
        "\n",
        "\nstarts with a newline",
    ]

    @Test("hostile reasons, errors and names round-trip exactly", arguments: hostileTexts)
    func hostileRoundTrip(text: String) throws {
        var annotation = Self.sample(.failed)
        annotation.reason = text
        annotation.errors = [text, "plain"]
        annotation.fleet = text
        annotation.rewrite = StatusAnnotation.Rewrite(from: text, note: text)
        annotation.services[text] = ServiceStatus(result: .failed, from: text, reason: text)
        let parsed = try StatusAnnotation(yaml: annotation.yaml())
        #expect(parsed == annotation)
        #expect(parsed.reason == text)
    }

    @Test("a multi-line reason is written as a literal block that people can read")
    func literalBlock() {
        var annotation = Self.sample(.failed)
        annotation.reason = "first: line\n---\nthird \"line\""
        #expect(annotation.yaml().contains("reason: |-\n  first: line\n  ---\n  third \"line\"\nsignature:"))
    }

    @Test("keys from a newer controller are ignored")
    func unknownKeys() throws {
        let text = """
            gitfleet: v1
            result: converged
            fleet: production
            controller: gitfleet-7f9c
            at: 2026-11-22T13:02:11Z
            revision: 7f9c2b1e4d5a6f708192a3b4c5d6e7f801234567
            approvals: [alice, bob]
            services:
              web: {result: converged, created: 1, destroyed: 1, canary: {weight: 10}}
            future: {anything: goes}
            """
        let annotation = try StatusAnnotation(yaml: text)
        #expect(annotation.result == .converged)
        #expect(annotation.at == Self.at)
        #expect(annotation.services["web"] == ServiceStatus(result: .converged, created: 1, destroyed: 1))
    }

    struct Rejection: Sendable, CustomStringConvertible {
        var note: String
        var code: StatusAnnotationError.Code
        var mentions: String
        var description: String { note }
    }

    static let rejections: [Rejection] = [
        Rejection(note: "Reviewed-by: alice\n", code: .notAnnotation, mentions: "no `gitfleet:` key"),
        Rejection(note: "just some words", code: .notAnnotation, mentions: "not a gitfleet status annotation"),
        Rejection(note: "{ unclosed: [", code: .notAnnotation, mentions: "not a YAML document"),
        Rejection(note: "gitfleet: v2\nresult: converged\n", code: .unsupportedVersion, mentions: "'v2'"),
        Rejection(
            note: "gitfleet: v1\nresult: exploded\nfleet: f\ncontroller: c\nat: 2026-11-22T13:02:11Z\nrevision: r\n",
            code: .malformed, mentions: "`result`: 'exploded' is not a result"),
        Rejection(
            note: "gitfleet: v1\nresult: converged\ncontroller: c\nat: 2026-11-22T13:02:11Z\nrevision: r\n",
            code: .malformed, mentions: "`fleet`: is missing"),
        Rejection(
            note: "gitfleet: v1\nresult: converged\nfleet: f\ncontroller: c\nat: yesterday\nrevision: r\n",
            code: .malformed, mentions: "`at`: 'yesterday' is not a UTC timestamp"),
        Rejection(
            note: "gitfleet: v1\nresult: converged\nfleet: f\ncontroller: c\nat: 2026-11-22T13:02:11Z\nrevision: r\n"
                + "services:\n  web: {result: converged, took: forever}\n",
            code: .malformed, mentions: "`services.web.took`: 'forever' is not a duration"),
    ]

    @Test("a note that is not a readable gitfleet annotation says why", arguments: rejections)
    func rejected(rejection: Rejection) throws {
        let error = try #require(throws: StatusAnnotationError.self) { try StatusAnnotation(yaml: rejection.note) }
        #expect(error.code == rejection.code)
        #expect(error.description.contains(rejection.mentions), "\(error)")
    }

    @Test("a note stored with git and read back with git log --notes is the same annotation")
    func gitNotes() throws {
        let directory = try TemporaryDirectory()
        let fixture = try GitFixture.create(at: directory.appending("fleet"))
        let commit = try fixture.commit("Deploy web 1.5.0")
        var annotation = Self.sample(.failed)
        annotation.revision = commit
        annotation.reason = "web: rollout failed: \"health\" check\n---\nkept 3 old instances: serving"
        let note = directory.appending("note.yaml")
        try annotation.yaml().write(toFile: note, atomically: true, encoding: .utf8)
        try fixture.git("notes", "--ref=gitfleet", "add", "-F", note, commit)

        #expect(try StatusAnnotation(yaml: try fixture.git("notes", "--ref=gitfleet", "show", commit)) == annotation)
        let log = try fixture.git("log", "-1", "--notes=gitfleet", "--format=%N", commit)
        #expect(try StatusAnnotation(yaml: log.trimmingCharacters(in: .newlines) + "\n") == annotation)
        let shown = try fixture.git("log", "-1", "--notes=gitfleet", commit)
        #expect(shown.contains("Notes (gitfleet):\n    gitfleet: v1\n    result: failed\n"))
        #expect(shown.contains("    reason: |-\n      web: rollout failed: \"health\" check\n      ---\n"))
    }
}
