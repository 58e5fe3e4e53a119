/// PEM files for a TLS client: the CA that signed the server's certificate, and this client's certificate
/// and key when the server asks for one. Used for etcd and for Docker hosts alike.
public struct TLSFiles: Hashable, Sendable {
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    public var isEmpty: Bool { caFile == nil && certificateFile == nil && keyFile == nil }
}
