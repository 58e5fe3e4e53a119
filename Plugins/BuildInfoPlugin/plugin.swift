import Foundation
import PackagePlugin

/// Generates `BuildInfo.swift` for GitFleetCLI: the commit the build comes from, read from the package's
/// `.git` folder by `gitfleet-build-info` (no git command), so `gitfleet --version` can say it. The files it
/// reads are the command's inputs, so a new commit rebuilds it.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuildInfo.swift")
        let git = package.appendingPathComponent(".git")
        var inputs = [git.appendingPathComponent("HEAD"), git.appendingPathComponent("packed-refs")]
        if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8),
            head.hasPrefix("ref: ")
        {
            let reference = head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)
            inputs.append(git.appendingPathComponent(reference))
        }
        return [
            .buildCommand(
                displayName: "Recording the commit gitfleet is built from",
                executable: try context.tool(named: "gitfleet-build-info").url,
                arguments: [package.path, output.path],
                inputFiles: inputs.filter { FileManager.default.fileExists(atPath: $0.path) },
                outputFiles: [output])
        ]
    }
}
