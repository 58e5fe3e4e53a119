import WebhookFuzzing

/// A gitea webhook request (see `WebhookFuzzing`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WebhookFuzzing.run(.gitea, data, size)
    return 0
}
