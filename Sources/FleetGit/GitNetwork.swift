import CLibgit2
import FleetModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Deadlines for libgit2's network operations.
///
/// libgit2 1.5 has no network timeouts: a remote that accepts a connection and never answers holds a fetch, a
/// head lookup or a push in a blocking `recv` for ever, and the thread with it. Every connection libgit2 opens
/// for `http://`, `https://` (TLS runs over this stream) and `ssh://` remotes goes through ``DeadlineSocket``
/// instead of libgit2's own socket, and is bounded by the deadline of the operation that opened it:
///
/// - the connect itself waits at most until the deadline;
/// - at the deadline, every connection the operation still has open is shut down, which wakes a `recv` or
///   `poll` blocked in libgit2 or libssh2 at once, so the operation fails and its thread is free again;
/// - the failure is reported as ``GitError/Code/timedOut`` naming the deadline, whatever libgit2 made of the
///   broken connection.
///
/// A deadline belongs to the thread that runs the operation (libgit2 opens connections on the caller's
/// thread). Work with no deadline of its own gets ``defaultTimeout`` per connection, so nothing waits for ever.
/// `file://` remotes and local paths open no socket and are not bounded.
public enum GitNetwork {
    /// The bound of a connection opened outside ``withDeadline(_:_:)``.
    public static let defaultTimeout: Duration = .seconds(120)

    /// Runs `body` (a fetch, a head lookup, a push) with every connection it opens closed at `timeout` from now.
    /// Throws ``GitError/Code/timedOut`` when the deadline cut it short.
    public static func withDeadline<Result>(_ timeout: Duration, _ body: () throws -> Result) throws -> Result {
        Libgit2.ensureInitialized()
        let operation = DeadlineOperation(deadline: ContinuousClock.now.advanced(by: timeout), timeout: timeout)
        let thread = pthread_self()
        let outer = DeadlineOperation.current(on: thread)
        DeadlineOperation.set(operation, on: thread)
        defer { DeadlineOperation.set(outer, on: thread) }
        do {
            let result = try body()
            return result
        } catch var error as GitError where operation.expired {
            error.code = .timedOut
            error.message =
                "the remote did not answer within \(timeout.manifestDescription); the operation was abandoned"
            throw error
        } catch  where operation.expired {
            throw GitError(
                .timedOut, operation: "network operation",
                message: "the remote did not answer within \(timeout.manifestDescription); the operation was abandoned")
        }
    }

    /// Registers ``DeadlineSocket`` as libgit2's standard stream; called once, by `Libgit2`'s initialisation.
    static func register() -> Int32 {
        var registration = git_stream_registration()
        registration.version = 1
        registration.`init` = { out, host, port in DeadlineSocket.make(out, host: host, port: port) }
        registration.wrap = nil
        return git_stream_register(GIT_STREAM_STANDARD, &registration)
    }
}

/// One deadline, and whether it has cut its operation short.
final class DeadlineOperation: @unchecked Sendable {
    let deadline: ContinuousClock.Instant
    let timeout: Duration
    private let lock = NSLock()
    private var expiredValue = false
    /// The sockets the operation has open, shut down when the deadline passes.
    private var sockets: Set<Int32> = []

    init(deadline: ContinuousClock.Instant, timeout: Duration) {
        self.deadline = deadline
        self.timeout = timeout
    }

    var expired: Bool { lock.withLock { expiredValue } }

    /// Watches `socket` until ``release(_:)``; shuts it down at the deadline. Held under the lock so a socket is
    /// never shut down after it was closed (and its number perhaps reused).
    func watch(_ socket: Int32) {
        lock.withLock { _ = sockets.insert(socket) }
        let delay = ContinuousClock.now.duration(to: deadline)
        let nanoseconds = max(
            0, delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
            lock.withLock {
                guard sockets.contains(socket) else { return }
                expiredValue = true
                _ = shutdown(socket, Int32(SHUT_RDWR))
            }
        }
    }

    /// Forgets `socket` and closes it.
    func release(_ socket: Int32) {
        lock.withLock {
            sockets.remove(socket)
            _ = Glibc.close(socket)
        }
    }

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var byThread: [pthread_t: DeadlineOperation] = [:]

    static func current(on thread: pthread_t) -> DeadlineOperation? {
        registryLock.withLock { byThread[thread] }
    }

    static func set(_ operation: DeadlineOperation?, on thread: pthread_t) {
        registryLock.withLock { byThread[thread] = operation }
    }
}

/// libgit2's standard (plain TCP) stream, with a bounded connect and a deadline (see ``GitNetwork``).
enum DeadlineSocket {
    static func make(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_stream>?>?, host: UnsafePointer<CChar>?,
        port: UnsafePointer<CChar>?
    ) -> Int32 {
        guard let out, let host, let port else { return -1 }
        let stream = UnsafeMutablePointer<gitfleet_socket_stream>.allocate(capacity: 1)
        stream.initialize(to: gitfleet_socket_stream())
        stream.pointee.parent.version = 1
        stream.pointee.parent.connect = { stream in DeadlineSocket.connect(stream) }
        stream.pointee.parent.read = { stream, buffer, length in DeadlineSocket.read(stream, buffer, length) }
        stream.pointee.parent.write = { stream, data, length, _ in DeadlineSocket.write(stream, data, length) }
        stream.pointee.parent.close = { stream in DeadlineSocket.close(stream) }
        stream.pointee.parent.free = { stream in DeadlineSocket.free(stream) }
        stream.pointee.host = strdup(host)
        stream.pointee.port = strdup(port)
        stream.pointee.socket = -1
        out.pointee = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: git_stream.self)
        return 0
    }

    private static func socketStream(_ stream: UnsafeMutablePointer<git_stream>?)
        -> UnsafeMutablePointer<gitfleet_socket_stream>
    {
        UnsafeMutableRawPointer(stream!).assumingMemoryBound(to: gitfleet_socket_stream.self)
    }

    /// The operation a connection belongs to: the thread's deadline, or ``GitNetwork/defaultTimeout`` from now.
    private static func operation() -> DeadlineOperation {
        if let current = DeadlineOperation.current(on: pthread_self()) { return current }
        let timeout = GitNetwork.defaultTimeout
        return DeadlineOperation(deadline: ContinuousClock.now.advanced(by: timeout), timeout: timeout)
    }

    /// Operations keyed by the socket they watch, so read, write and close find theirs.
    private static let ownersLock = NSLock()
    nonisolated(unsafe) private static var owners: [Int32: DeadlineOperation] = [:]

    private static func fail(_ message: String) -> Int32 {
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), message)
        return -1
    }

    static func connect(_ stream: UnsafeMutablePointer<git_stream>?) -> Int32 {
        let stream = socketStream(stream)
        let host = String(cString: stream.pointee.host)
        let port = String(cString: stream.pointee.port)
        let operation = operation()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var addresses: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, port, &hints, &addresses)
        guard resolved == 0, let first = addresses else {
            return fail("cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(addresses) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let socket = Glibc.socket(
                address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                address.pointee.ai_protocol)
            guard socket >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            if let problem = connect(socket, to: address.pointee, before: operation.deadline) {
                lastError = problem
                _ = Glibc.close(socket)
                continue
            }
            ownersLock.withLock { owners[socket] = operation }
            operation.watch(socket)
            stream.pointee.socket = socket
            return 0
        }
        if ContinuousClock.now >= operation.deadline {
            return fail("cannot connect to \(host):\(port) within \(operation.timeout.manifestDescription)")
        }
        return fail("cannot connect to \(host):\(port): \(lastError)")
    }

    /// Connects without blocking past `deadline`; nil on success, else why not.
    private static func connect(_ socket: Int32, to address: addrinfo, before deadline: ContinuousClock.Instant)
        -> String?
    {
        let flags = fcntl(socket, F_GETFL)
        _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(socket, address.ai_addr, address.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
            var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(
                0,
                Int32(
                    clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds
                        / 1_000_000_000_000_000))
            let ready = poll(&descriptor, 1, milliseconds)
            guard ready > 0 else { return ready == 0 ? "timed out" : String(cString: strerror(errno)) }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(socket, SOL_SOCKET, SO_ERROR, &failure, &length)
            guard failure == 0 else { return String(cString: strerror(failure)) }
        }
        _ = fcntl(socket, F_SETFL, flags)
        return nil
    }

    static func read(_ stream: UnsafeMutablePointer<git_stream>?, _ buffer: UnsafeMutableRawPointer?, _ length: Int)
        -> Int
    {
        let socket = socketStream(stream).pointee.socket
        let count = recv(socket, buffer, length, 0)
        if count < 0 { return Int(fail("cannot read from the remote: \(String(cString: strerror(errno)))")) }
        return count
    }

    static func write(_ stream: UnsafeMutablePointer<git_stream>?, _ data: UnsafePointer<CChar>?, _ length: Int) -> Int
    {
        let socket = socketStream(stream).pointee.socket
        var sent = 0
        while sent < length {
            let count = send(socket, data! + sent, length - sent, Int32(MSG_NOSIGNAL))
            if count < 0 {
                if errno == EINTR { continue }
                return Int(fail("cannot write to the remote: \(String(cString: strerror(errno)))"))
            }
            sent += count
        }
        return sent
    }

    static func close(_ stream: UnsafeMutablePointer<git_stream>?) -> Int32 {
        let stream = socketStream(stream)
        let socket = stream.pointee.socket
        guard socket >= 0 else { return 0 }
        stream.pointee.socket = -1
        let operation = ownersLock.withLock { owners.removeValue(forKey: socket) }
        if let operation { operation.release(socket) } else { _ = Glibc.close(socket) }
        return 0
    }

    static func free(_ stream: UnsafeMutablePointer<git_stream>?) {
        let stream = socketStream(stream)
        if stream.pointee.socket >= 0 {
            _ = close(UnsafeMutableRawPointer(stream).assumingMemoryBound(to: git_stream.self))
        }
        Glibc.free(stream.pointee.host)
        Glibc.free(stream.pointee.port)
        stream.deallocate()
    }
}
