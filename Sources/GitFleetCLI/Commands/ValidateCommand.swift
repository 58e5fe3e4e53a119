import ArgumentParser
import FleetController
import FleetModel
import Foundation

/// `gitfleet validate`: checks every manifest at a revision and lists every problem at once.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the fleet's manifests at a revision; list every problem with file:line:column."
    )

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let fleet = try DesiredStateLoading.load(repository)
        let count = fleet.services.count == 1 ? "1 service" : "\(fleet.services.count) services"
        Terminal.out("fleet '\(fleet.name)' at \(fleet.revision.map { String($0.prefix(12)) } ?? "?"): \(count), valid")
    }
}

/// Loading the desired state for a command, with errors reported the way a command reports them.
enum DesiredStateLoading {
    /// `secretsRequired` for a command that starts instances (`apply`): a secret it cannot open is an error
    /// before anything starts, as in the controller.
    static func load(_ options: RepositoryOptions, secretsRequired: Bool = false) throws -> Fleet {
        do {
            let keyring = try options.secretKeyring()
            let (repository, commit) = try options.open()
            return try DesiredStateSource(
                repository: repository, layout: options.layout, keyring: keyring, secretsRequired: secretsRequired
            )
            .fleet(at: commit)
        } catch let error as ManifestError {
            Terminal.error(error.description)
            throw CommandFailure()
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
    }
}

extension RepositoryOptions {
    /// The identities of `--secret-identity-file`, or nil without the flag.
    func secretKeyring() throws(SecretError) -> SecretKeyring? {
        guard let secretIdentityFile else { return nil }
        return try SecretKeyring.load(identityFile: secretIdentityFile, setting: "--secret-identity-file")
    }

    /// Where a converger run by a command (`apply`) reads secrets' values: the sealed blobs of this repository,
    /// opened with `--secret-identity-file`; nil without the flag (instances of specs with secrets then fail).
    func secretSource() throws -> RepositorySecrets? {
        let keyring: SecretKeyring?
        do {
            keyring = try secretKeyring()
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
        guard let keyring else { return nil }
        let location = TrackedRepository.Location(
            repository: isRemote ? repo : URL(fileURLWithPath: repo).standardizedFileURL.path, branch: rev ?? "main",
            credentials: credentials, cacheRoot: cacheDir ?? "\(NSHomeDirectory())/.cache/gitfleet/repositories",
            layout: layout)
        return RepositorySecrets(
            repository: TrackedRepository(location: location, networkTimeout: .seconds(120)), keyring: keyring)
    }
}
