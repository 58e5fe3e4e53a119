import AsyncHTTPClient
import FleetModel
import NIOCore
import NIOHTTP1
import NIOPosix

/// The network side of health probes: HTTP requests through AsyncHTTPClient, TCP connects through a NIO
/// bootstrap and gRPC health checks on swift-nio-http2 (ProbeClient+GRPC.swift), on NIO's shared event loops, so a
/// probe waiting on a slow instance holds no thread (the
/// socket code it replaced parked a Dispatch thread per probe) and IPv6 addresses (`::1`, `[::1]`) work.
///
/// Redirects are not followed: a 3xx answer is the instance's own and counts as healthy, as it always has.
///
/// Owned by the runtime whose instances it probes (one per controller, so probes of the same instance reuse
/// pooled connections), and shut down by that runtime's `close()`, which closes the pooled connections; a
/// test process that runs many controllers therefore does not keep every one's connections open. A client
/// dropped without ``shutdown()`` (a runtime a test never closed) shuts itself down in the background.
public final class ProbeClient: Sendable {
    public struct Response: Hashable, Sendable {
        public var status: Int
    }

    let http: HTTPClient
    let group: any EventLoopGroup

    /// The client of runtimes that own none (test doubles); never shut down, like NIO's singleton loops.
    public static let processWide = ProbeClient()

    /// A client on NIO's shared event loops.
    public convenience init() {
        self.init(group: MultiThreadedEventLoopGroup.singleton)
    }

    init(group: any EventLoopGroup) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // A probe is one attempt: a refused connection is its answer, not something to retry until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        self.group = group
    }

    /// Closes the pooled connections; a probe after this fails. Once is enough; more calls do nothing.
    public func shutdown() async {
        try? await http.shutdown()
    }

    deinit {
        // AsyncHTTPClient insists on a shutdown before its client goes away; this one keeps itself alive
        // until it is done.
        http.shutdown { _ in }
    }

    /// Sends `method` for `path` to `host:port` (an IPv4 or IPv6 address, brackets optional) with `headers`, all
    /// within `timeout`. A `User-Agent` among `headers` replaces gitfleet's own.
    public func request(
        host: String, port: Int, path: String, method: String = "GET", headers: [String: String] = [:],
        timeout: Duration
    ) async throws -> Response {
        var request = HTTPClientRequest(url: "http://\(Self.urlHost(host)):\(port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "User-Agent", value: "gitfleet")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        do {
            let response = try await http.execute(request, timeout: TimeAmount(timeout))
            // The body is read (up to 1 MiB) and dropped, so the connection can be reused.
            _ = try? await response.body.collect(upTo: 1 << 20)
            return Response(status: Int(response.status.code))
        } catch let error as HTTPClientError
            where [.deadlineExceeded, .connectTimeout, .readTimeout].contains(error)
        {
            throw Failure("timed out after \(timeout.manifestDescription)")
        }
    }

    /// Whether a TCP connection to `host:port` is accepted within `timeout`.
    public func connect(host: String, port: Int, timeout: Duration) async throws {
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: Self.bare(host), port: port).get()
            try? await channel.close()
        } catch ChannelError.connectTimeout(_) {
            throw Failure("timed out after \(timeout.manifestDescription)")
        }
    }

    /// Why a probe's network call failed, in words for the instance's `reason`.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// `::1` becomes `[::1]` in a URL; a bracketed or IPv4 address stays as it is.
    static func urlHost(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}

extension TimeAmount {
    /// NIO's form of a Swift `Duration`, to the nanosecond.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
