import FleetController
import FleetModel
import Foundation
import Testing

@Suite("Discovery outputs rendered from the serving set")
struct DiscoveryTemplateTests {
    static let records = [
        InstanceRecord(
            id: "web-aaaa-1", service: "web", specHash: SpecHash(rawValue: "aaaa"), image: "demo/web:1",
            state: .serving,
            address: "127.0.0.1", ports: ["http": 41001], createdAt: Date()),
        InstanceRecord(
            id: "web-bbbb-1", service: "web", specHash: SpecHash(rawValue: "bbbb"), image: "demo/web:2",
            state: .serving,
            address: "127.0.0.1", ports: ["http": 41002], createdAt: Date()),
        InstanceRecord(
            id: "web-bbbb-2", service: "web", specHash: SpecHash(rawValue: "bbbb"), image: "demo/web:2", state: .ready,
            address: "127.0.0.1", ports: ["http": 41003], createdAt: Date()),
        InstanceRecord(
            id: "db-migrate-1", service: "db-migrate", specHash: SpecHash(rawValue: "cccc"), image: "demo/db:1",
            state: .starting, address: "127.0.0.1", ports: ["http": 41004], createdAt: Date()),
    ]

    @Test("nginx: one upstream per service from published instances only; an empty one stays valid")
    func nginx() {
        let text = DiscoveryTemplate.nginx.render(ServingSet(records: Self.records), port: "http")
        #expect(text.contains("upstream gitfleet_web {\n    server 127.0.0.1:41001 weight=1; # web-aaaa-1\n"))
        #expect(text.contains("server 127.0.0.1:41002 weight=1;"))
        #expect(!text.contains("41003"), "a ready instance is not published")
        #expect(text.contains("upstream gitfleet_db_migrate {\n    server 127.0.0.1:9 down;"))
    }

    @Test("a withheld instance (failing readiness) leaves every output, and its service keeps its block")
    func withheld() {
        let set = ServingSet(records: Self.records, withheld: ["web-aaaa-1", "web-bbbb-2"])
        #expect(set.services["web"]?.map(\.instance) == ["web-bbbb-1"])
        let text = DiscoveryTemplate.nginx.render(set, port: "http")
        #expect(!text.contains("41001") && text.contains("server 127.0.0.1:41002 weight=1;"), "\(text)")
        let alone = ServingSet(records: Self.records.filter { $0.id == "web-aaaa-1" }, withheld: ["web-aaaa-1"])
        #expect(alone.services == ["web": []])
    }

    @Test("a canary split becomes upstream weights that give the target its percentage")
    func weights() {
        let set = ServingSet(
            records: Self.records, splits: ["web": .init(target: SpecHash(rawValue: "bbbb"), percent: 10)])
        let web = set.services["web"] ?? []
        // One old and one new instance: 10 % to the new one is weight 1 against 9.
        #expect(web.map(\.weight) == [9, 1])
        let haproxy = DiscoveryTemplate.haproxy.render(set, port: "http")
        #expect(haproxy.contains("backend gitfleet_web\n    server web-aaaa-1 127.0.0.1:41001 weight 9 check\n"))
    }

    @Test("a user template repeats its sections per service and endpoint")
    func userTemplate() throws {
        let template = try DiscoveryTemplate.user(
            UserTemplate(
                text:
                    "# fleet\n{{#services}}[{{service}}]\n{{#endpoints}}{{instance}}={{address}}:{{port}}/{{weight}}\n{{/endpoints}}{{/services}}end\n"
            ))
        let text = template.render(ServingSet(records: Self.records), port: "http")
        #expect(
            text
                == "# fleet\n[db-migrate]\n[web]\nweb-aaaa-1=127.0.0.1:41001/1\nweb-bbbb-1=127.0.0.1:41002/1\nend\n")
    }

    @Test("a user template writes values as they are, with the service's identifier, never HTML-escaped")
    func userTemplateUnescaped() throws {
        let template = try UserTemplate(
            text: "{{#services}}{{identifier}} {{#endpoints}}<{{image}}&{{specHash}}>{{/endpoints}}\n{{/services}}")
        #expect(
            template.render(ServingSet(records: Self.records), port: "http")
                == "db_migrate \nweb <demo/web:1&aaaa><demo/web:2&bbbb>\n")
    }

    @Test("an inverted section gives a service without endpoints its placeholder; standalone tags leave no line")
    func userTemplatePlaceholder() throws {
        let template = try UserTemplate(
            text:
                "{{! one block per service }}\n{{#services}}\nupstream {{identifier}} {\n{{#endpoints}}\n  server {{address}}:{{port}};\n{{/endpoints}}\n{{^endpoints}}\n  server 127.0.0.1:9 down;\n{{/endpoints}}\n}\n{{/services}}\n"
        )
        #expect(
            template.render(ServingSet(records: Self.records), port: "http")
                == "upstream db_migrate {\n  server 127.0.0.1:9 down;\n}\nupstream web {\n  server 127.0.0.1:41001;\n  server 127.0.0.1:41002;\n}\n"
        )
    }

    @Test("a broken user template is refused with its file, line and column and the setting")
    func brokenUserTemplate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tmpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("up.tmpl").path
        try Data("# fleet\n{{#services}}\n  {{service}}\n{{/endpoints}}\n".utf8).write(to: URL(fileURLWithPath: path))
        guard case .failure(let error) = DiscoveryOutput.list("nginx:/x, template:\(path):/out") else {
            Issue.record("a broken template was accepted")
            return
        }
        #expect(error.code == .templateInvalid)
        #expect(error.message.contains("\(path):4:"))
        #expect(error.message.contains("discoveryOutputs"))
        guard case .failure(let missing) = DiscoveryOutput.list("template:\(path).absent:/out") else {
            Issue.record("a missing template was accepted")
            return
        }
        #expect(missing.code == .templateUnreadable)
    }

    @Test("output settings parse, and bad ones are refused", arguments: ["nginx:", "apache:/x", "template:/t", "x"])
    func badOutputs(text: String) {
        #expect(DiscoveryOutput(text) == nil)
    }

    @Test("output settings in each form")
    func outputs() {
        #expect(
            DiscoveryOutput("nginx:/etc/nginx/conf.d/up.conf")
                == DiscoveryOutput(kind: .nginx, path: "/etc/nginx/conf.d/up.conf"))
        #expect(
            DiscoveryOutput("template:/t.tmpl:/out") == DiscoveryOutput(kind: .template(path: "/t.tmpl"), path: "/out"))
    }
}
