import WebhookFuzzing

/// A github webhook request (see `WebhookFuzzing`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WebhookFuzzing.run(.github, data, size)
    return 0
}
