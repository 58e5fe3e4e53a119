import FleetModel
import FuzzSupport

/// A fleet repository's tree, framed as `=== <path>` sections, loaded as `DesiredStateSource` loads a commit:
/// `fleet.yaml` and the YAML files under `services/` go to `ManifestDecoder.fleet(fleetFile:serviceFiles:)`.
/// Then the incremental path: the same files under new blob ids through `fleet(fleetFile:changedServiceFiles:)`,
/// whose answer, when it gives one, must be the full load's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let files = FuzzInput.files(FuzzInput.bytes(data, size), defaultPath: "services/service.yaml")
    var fleetFile: ManifestFile? = nil
    var serviceFiles: [ManifestFile] = []
    for (index, file) in files.enumerated() {
        let manifest = ManifestFile(path: file.path, contents: file.contents, blobID: "blob\(index)")
        if file.path == "fleet.yaml" {
            fleetFile = manifest
        } else if file.path.hasPrefix("services/"), isManifest(file.path) {
            serviceFiles.append(manifest)
        }
    }
    var decoder = ManifestDecoder()
    guard case .success(let full) = decoder.fleet(fleetFile: fleetFile, serviceFiles: serviceFiles, revision: "a")
    else { return 0 }
    let changed = serviceFiles.map { file in
        ManifestFile(path: file.path, contents: file.contents, blobID: "changed-\(file.blobID ?? "")")
    }
    if let shortcut = decoder.fleet(fleetFile: fleetFile, changedServiceFiles: changed, revision: "a"),
        shortcut != full
    {
        fatalError("the incremental load differs from the full load")
    }
    return 0
}

/// `FleetLayout.isManifest`: YAML, and not hidden.
private func isManifest(_ path: String) -> Bool {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
}
