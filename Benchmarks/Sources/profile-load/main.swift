// A synchronous driver of one cold load, for valgrind --tool=callgrind (which cannot follow the async
// entry point of gitfleet-bench). Usage: profile-load <repository> <commit> [decode-only]
import FleetController
import FleetGit
import FleetModel

let arguments = CommandLine.arguments
guard arguments.count >= 3, let commit = CommitID(hex: arguments[2]) else {
    fatalError("usage: profile-load <repository> <commit>")
}
let repository = try GitRepository.open(at: arguments[1])
let fleet = try DesiredStateSource(repository: repository).fleet(at: commit)
print("\(fleet.services.count) services")
