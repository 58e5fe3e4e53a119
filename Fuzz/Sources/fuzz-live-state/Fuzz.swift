import FleetPlanner
import Foundation
import FuzzSupport

/// The live-state document (`gitfleet plan --live`, the API's `/api/v1/live-state`), as `LiveStateFile` reads
/// it: the whole document, and the bare list of instance records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(FuzzInput.bytes(data, size))
    if let document = try? LiveStateFile.decodeDocument(bytes, file: "live.json") {
        _ = document.policy
        _ = LiveStateFile.encode(document)
    }
    _ = try? LiveStateFile.decode(bytes, file: "live.json")
    return 0
}
