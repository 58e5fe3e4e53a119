import ArgumentParser
import FleetController
import FleetRegistry
import FleetRuntime
import Foundation

/// Where the embedded controller keeps its state: the registry file, the image store and the
/// instances' working directories, all under one folder.
struct StateOptions: ParsableArguments {
    @Option(name: .long, help: "The state directory (default: .gitfleet/ in the fleet repository).")
    var stateDir: String?

    /// The state directory as an absolute path: instances run in folders under it, from any working directory.
    func directory(default fallback: String) -> String {
        ControllerConfiguration.absolute(stateDir ?? fallback)
    }

    static func registryExists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(directory)/registry.sqlite")
    }

    static func openRegistry(in directory: String) throws -> SQLiteRegistry {
        try SQLiteRegistry(stateDirectory: URL(fileURLWithPath: directory))
    }
}
