import FleetController
import Foundation
import GitFleetTesting
import Testing

/// `gitfleet serve`'s flags are made from the settings table; these run the real binary to hold its help,
/// its completion scripts and its errors to the table.
@Suite("gitfleet serve's flags come from the settings table")
struct ServeSettingFlagsTests {
    @Test("serve --help lists every setting's flag with its value, help and default")
    func help() async throws {
        let outcome = try await BuiltProducts.gitfleet(["serve", "--help"])
        #expect(outcome.status == 0, "\(outcome)")
        // Help wraps to the terminal's width; compare with every run of white space as one space.
        let help = Self.words(outcome.standardOutput)
        #expect(help.contains("--config <config> A YAML configuration file."), "\(help)")
        for setting in ControllerConfiguration.settings {
            #expect(
                help.contains("--\(setting.flag) <\(setting.valueName)> \(Self.words(setting.summary))"),
                "serve --help lacks --\(setting.flag) and its help")
            let stated = setting.defaultDescription
            if !stated.hasPrefix("—") && stated != "required" {
                #expect(help.contains("(default: \(stated))"), "serve --help lacks the default of --\(setting.flag)")
            }
        }
        #expect(
            help.contains(
                "--runtime-dir <directory> The process runtime's folder (images, instances). (default: stateDir)"))
    }

    @Test("Completion scripts complete every flag of serve", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) async throws {
        let outcome = try await BuiltProducts.gitfleet(["--generate-completion-script", shell])
        #expect(outcome.status == 0, "\(outcome)")
        for setting in ControllerConfiguration.settings {
            let spelled = shell == "fish" ? "-l '\(setting.flag)'" : "--\(setting.flag)"
            #expect(outcome.standardOutput.contains(spelled), "the \(shell) script lacks --\(setting.flag)")
        }
        // Values complete too: the choices of a choice, files for a file.
        #expect(outcome.standardOutput.contains("sqlite"), "the \(shell) script does not complete --registry")
    }

    @Test("A misspelt flag is a usage error that suggests the setting's flag")
    func unknownFlag() async throws {
        let outcome = try await BuiltProducts.gitfleet(["serve", "--poll-intervall", "10s"])
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.standardError.contains("'--poll-intervall'"), "\(outcome)")
        #expect(outcome.standardError.contains("'--poll-interval'"), "\(outcome)")
    }

    @Test("Bad values from flags and the environment are reported together, each naming where it came from")
    func badValues() async throws {
        let outcome = try await BuiltProducts.gitfleet(
            ["serve", "--repo", "/nonexistent", "--poll-interval", "3x", "--listen-port", "http"],
            environment: ["GITFLEET_LEASE_TTL": "often"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(
            outcome.standardError.contains("--poll-interval: expected a duration such as 30s or 2m, got \"3x\""),
            "\(outcome)")
        #expect(
            outcome.standardError.contains("--listen-port: expected a whole number from 0 to 65535, got \"http\""),
            "\(outcome)")
        #expect(
            outcome.standardError.contains("GITFLEET_LEASE_TTL: expected a duration such as 30s or 2m, got \"often\""),
            "\(outcome)")
    }

    @Test(
        "apply's runtime, discovery and timeout flags read values as the settings do",
        arguments: [
            (["--runtime", "vm"], "--runtime: expected process or docker, got \"vm\""),
            (["--discovery-outputs", "caddy:/x"], "--discovery-outputs: 'caddy:/x' is not a discovery output"),
            (["--timeout", "soon"], "--timeout: expected a duration such as 30s or 2m, got \"soon\""),
        ])
    func applyFlags(arguments: [String], message: String) async throws {
        let outcome = try await BuiltProducts.gitfleet(["apply"] + arguments)
        #expect(outcome.status == 64, "\(outcome)")
        #expect(outcome.standardError.contains(message), "\(outcome)")
    }

    private static func words(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
