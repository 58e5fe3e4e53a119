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
        let inputs = Self.gitFiles(of: package)
        return [
            .buildCommand(
                displayName: "Recording the commit gitfleet is built from",
                executable: try context.tool(named: "gitfleet-build-info").url,
                arguments: [package.path, output.path],
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }

    /// The files whose change means another commit is checked out: HEAD, the branch's loose ref and packed-refs,
    /// where `gitfleet-build-info` reads them. In a worktree `.git` is a file naming the worktree's own folder
    /// (HEAD) whose `commondir` holds the shared refs; both are followed, as the tool follows them (a plugin
    /// cannot share the tool's code), or a new commit in a worktree would never rebuild the stamp.
    static func gitFiles(of package: URL) -> [URL] {
        let dotGit = package.appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return [] }
        var gitDirectory = dotGit
        var files: [URL] = []
        if !isDirectory.boolValue {
            files.append(dotGit)
            guard let line = read(dotGit), line.hasPrefix("gitdir: ") else { return files }
            let path = String(line.dropFirst("gitdir: ".count))
            gitDirectory = path.hasPrefix("/") ? URL(fileURLWithPath: path) : package.appendingPathComponent(path)
        }
        var directories = [gitDirectory]
        if let common = read(gitDirectory.appendingPathComponent("commondir")) {
            directories.append(
                common.hasPrefix("/") ? URL(fileURLWithPath: common) : gitDirectory.appendingPathComponent(common))
        }
        files.append(gitDirectory.appendingPathComponent("HEAD"))
        if let head = read(gitDirectory.appendingPathComponent("HEAD")), head.hasPrefix("ref: ") {
            let reference = String(head.dropFirst("ref: ".count))
            files += directories.map { $0.appendingPathComponent(reference) }
        }
        files += directories.map { $0.appendingPathComponent("packed-refs") }
        return files.filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    private static func read(_ url: URL) -> String? {
        (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
