@_spi(Fuzzing) import FleetRegistry
import Foundation
import FuzzSupport

/// What the etcd gateway answers, read as the etcd registry reads it (see `EtcdWireFuzzing`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    EtcdWireFuzzing.read(Data(FuzzInput.bytes(data, size)))
    return 0
}
