import FleetModel
import FuzzSupport

/// A git note's text, as the history and the annotation writer read it: `StatusAnnotation(yaml:)`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? StatusAnnotation(yaml: String(decoding: FuzzInput.bytes(data, size), as: UTF8.self))
    return 0
}
