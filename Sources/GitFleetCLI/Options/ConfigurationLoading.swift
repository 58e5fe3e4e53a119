import FleetController
import FleetModel
import Foundation

extension ControllerConfiguration {
    /// The controller's configuration for a command: the file (if any), the `GITFLEET_*` environment and the
    /// flags, resolved as `ControllerConfiguration.resolve` does; every problem is printed and ends the command.
    static func load(
        file: String?, flags: [String: String], requiringRepository: Bool = true
    ) throws -> ControllerConfiguration {
        do {
            var settings: SettingsFile? = nil
            if let file {
                guard let bytes = FileManager.default.contents(atPath: file) else {
                    Terminal.error("error: cannot read the configuration file \(file)")
                    throw CommandFailure()
                }
                settings = try SettingsFile.parse(Array(bytes), file: file)
            }
            return try ControllerConfiguration.resolve(
                file: settings, environment: ProcessInfo.processInfo.environment, flags: flags,
                requiringRepository: requiringRepository)
        } catch let error as CommandFailure {
            throw error
        } catch {
            Terminal.error("error: the configuration is not valid:\n\(error)")
            throw CommandFailure()
        }
    }
}
