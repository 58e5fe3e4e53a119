import Foundation
import GitFleetTesting
import Testing

/// A broken discovery template stops `serve` and `apply` before they start anything, naming the file,
/// line and setting; neither crashes nor fails later at the first publication.
@Suite("Discovery templates are checked when serve and apply start")
struct DiscoveryTemplateSettingTests {
    @Test("serve and apply refuse a broken template with its file, line and setting", arguments: ["serve", "apply"])
    func brokenTemplateIsAConfigurationError(command: String) async throws {
        let directory = try RuntimeFixtures.temporaryDirectory("gitfleet-template")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let template = "\(directory)/upstreams.tmpl"
        try Data("# upstreams\n{{#services}}\nupstream {{identifier}} {\n{{/endpoints}}\n".utf8)
            .write(to: URL(fileURLWithPath: template))
        let outcome = try await BuiltProducts.gitfleet(
            [
                command, "--repo", directory, "--state-dir", "\(directory)/state",
                "--discovery-outputs", "template:\(template):\(directory)/out.conf",
            ], in: directory)
        #expect(outcome.status != 0 && !outcome.signaled, "\(outcome)")
        #expect(outcome.standardError.contains("\(template):4:"), "\(outcome)")
        #expect(outcome.standardError.contains("discoveryOutputs"), "\(outcome)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out.conf"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/state"), "nothing started")
    }
}
