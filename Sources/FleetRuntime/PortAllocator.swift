#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Free loopback ports for instances whose spec asks for port 0.
///
/// Binds port 0 on 127.0.0.1, reads the port the kernel chose, and closes the socket. Another process can
/// take the port between that close and the instance's bind; the window is short, the kernel hands out
/// ephemeral ports round-robin, and the consequence (an instance that fails to bind, fails its health check
/// and is replaced) is one the controller already handles, so this is accepted rather than passing sockets.
enum PortAllocator {
    static func freeLoopbackPort() throws -> Int {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw RuntimeError(.startFailed, "cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw RuntimeError(.startFailed, "cannot bind 127.0.0.1:0 to find a free port") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw RuntimeError(.startFailed, "cannot read the port the kernel allocated") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
