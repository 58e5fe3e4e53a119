import WebhookFuzzing

/// A generic webhook request (see `WebhookFuzzing`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WebhookFuzzing.run(.generic, data, size)
    return 0
}
