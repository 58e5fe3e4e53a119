import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet --version and shell completion")
struct VersionAndCompletionTests {
    /// The project's own checkout, where the tested binary was built.
    private static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    @Test("--version names the release and the commit the binary was built from")
    func versionNamesTheCommit() async throws {
        let outcome = try await BuiltProducts.gitfleet(["--version"])
        #expect(outcome.status == 0, "\(outcome)")
        let head = try GitFixture.existing(at: Self.package, bare: false).revParse("HEAD")
        #expect(outcome.standardOutput.hasPrefix("0.1.0 (commit "), "\(outcome)")
        #expect(outcome.standardOutput.contains(head), "built from another commit than HEAD \(head)? \(outcome)")
    }

    @Test("Completion scripts for bash, zsh and fish name every command", arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) async throws {
        let outcome = try await BuiltProducts.gitfleet(["--generate-completion-script", shell])
        #expect(outcome.status == 0, "\(outcome)")
        for command in [
            "validate", "plan", "apply", "status", "history", "retry", "promote", "abort", "serve", "adopt",
        ] {
            #expect(outcome.standardOutput.contains(command), "\(shell) script lacks \(command)")
        }
    }
}
