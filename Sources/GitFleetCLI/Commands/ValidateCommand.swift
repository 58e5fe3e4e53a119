import ArgumentParser
import FleetController
import FleetModel

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
    static func load(_ options: RepositoryOptions) throws -> Fleet {
        do {
            let (repository, commit) = try options.open()
            return try DesiredStateSource(repository: repository, layout: options.layout).fleet(at: commit)
        } catch let error as ManifestError {
            Terminal.error(error.description)
            throw CommandFailure()
        } catch {
            Terminal.error("error: \(error)")
            throw CommandFailure()
        }
    }
}
