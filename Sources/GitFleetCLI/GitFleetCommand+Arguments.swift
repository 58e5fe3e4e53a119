import Foundation

extension GitFleetCommand {
    /// The arguments this process was started with, without the program's name.
    ///
    /// Swift's `CommandLine` takes argv from a constructor that the dynamic loader calls; with libfaketime preloaded
    /// (`LD_PRELOAD`, as the clock-step tests run `serve` to step its wall clock, docs/testing.md) it is handed
    /// nothing, `CommandLine.argc` is 0, and every command would print the overview. Linux keeps the command line in
    /// `/proc/self/cmdline` (NUL-separated, NUL-terminated), which is read then.
    public static var processArguments: [String] {
        if CommandLine.argc > 0 { return Array(CommandLine.arguments.dropFirst()) }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/self/cmdline"), !cmdline.isEmpty else {
            return []
        }
        let fields = cmdline.split(separator: 0, omittingEmptySubsequences: false)
        return fields.dropFirst().dropLast().map { String(decoding: $0, as: UTF8.self) }
    }
}
