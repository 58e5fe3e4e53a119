import FleetModel
import FuzzSupport

/// The controller's settings file, as `ConfigurationLoading` reads it: `SettingsFile.parse`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let settings = try? SettingsFile.parse(FuzzInput.bytes(data, size), file: "gitfleet.yaml") {
        for key in settings.values.keys { _ = SettingsFile.suggestion(for: key, among: ["repository", "branch"]) }
    }
    return 0
}
