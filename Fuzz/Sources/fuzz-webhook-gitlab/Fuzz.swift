import WebhookFuzzing

/// A gitlab webhook request (see `WebhookFuzzing`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WebhookFuzzing.run(.gitlab, data, size)
    return 0
}
