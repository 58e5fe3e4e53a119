@_spi(Fuzzing) import FleetRuntime
import Foundation
import FuzzSupport

/// What a Docker engine answers, read as the Docker runtime reads it (see `DockerWireFuzzing`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    DockerWireFuzzing.read(Data(FuzzInput.bytes(data, size)))
    return 0
}
