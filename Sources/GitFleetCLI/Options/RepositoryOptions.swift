import ArgumentParser
import FleetController
import FleetGit
import Foundation

/// Where the desired state comes from: a repository (a local path or a URL), a revision, and where
/// the fleet sits inside it.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .long, help: "The fleet repository: a local path or a URL (file://, https://, ssh://).")
    var repo: String = "."

    @Option(name: .long, help: "The revision to read: a branch, tag or commit (default: HEAD, or the remote's main).")
    var rev: String?

    @Option(name: .long, help: "The fleet's folder inside the repository (holding fleet.yaml and services/).")
    var path: String = ""

    @Option(name: .long, help: "The folder of service manifests, relative to --path.")
    var services: String = "services"

    @Option(name: .long, help: "Where clones of remote repositories are cached.")
    var cacheDir: String?

    @Option(name: .long, help: "A file holding an HTTPS access token for the remote.")
    var tokenFile: String?

    @Option(name: .long, help: "A private SSH key for the remote.")
    var sshKey: String?

    @Option(name: .long, help: "A known_hosts file the remote's SSH host key must be in.")
    var knownHosts: String?

    @Option(
        name: .long,
        help:
            "An age identity file that opens the fleet's sealed secrets (checks they decrypt; without it, only that they exist)."
    )
    var secretIdentityFile: String?

    var isRemote: Bool { TrackedRepository.Location.isRemote(repo) }

    var layout: FleetLayout { FleetLayout(root: path, servicesDirectory: services) }

    /// The default state directory: `.gitfleet/` in a local fleet repository, else in the working directory.
    var defaultStateDirectory: String {
        let base = isRemote ? FileManager.default.currentDirectoryPath : absolute(repo)
        return "\(base)/.gitfleet"
    }

    var credentials: GitCredentials {
        if let sshKey {
            let knownHosts = knownHosts ?? "\(NSHomeDirectory())/.ssh/known_hosts"
            return .sshKey(GitCredentials.SSHKey(privateKeyPath: sshKey, knownHostsPath: knownHosts))
        }
        if let tokenFile { return .httpsToken(.file(path: tokenFile)) }
        return .none
    }

    /// Opens (or clones and fetches) the repository and resolves the revision to a commit.
    func open() throws -> (GitRepository, CommitID) {
        let repository: GitRepository
        if isRemote {
            let cache = cacheDir ?? "\(NSHomeDirectory())/.cache/gitfleet/repositories"
            repository = try GitRepository.openOrClone(url: repo, cacheRoot: cache, credentials: credentials)
            try repository.fetch()
        } else {
            repository = try GitRepository.open(at: absolute(repo), credentials: credentials)
        }
        let commit = try repository.resolve(rev ?? (isRemote ? "main" : "HEAD"))
        return (repository, commit)
    }

    private func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }
}
