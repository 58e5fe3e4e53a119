@_spi(Fuzzing) import FleetGit
import FuzzSupport

/// An OpenSSH known_hosts file, as an SSH clone reads it, then asked about a host on the standard port and
/// on another one, with a key of the file's first entry when it has one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzInput.bytes(data, size), as: UTF8.self)
    let hosts = KnownHosts(contents: text)
    let key = Array("ssh-ed25519 key".utf8)
    _ = hosts.verdict(host: "git.example.com", port: 22, key: key)
    _ = hosts.verdict(host: "Git.Example.com", port: 2222, key: [])
    return 0
}
