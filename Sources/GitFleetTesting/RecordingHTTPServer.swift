import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback HTTP/1.1 listener that keeps every request it is sent (method, target, headers, body) and answers
/// each with the status a closure picks: the other end of a notification, for tests that check requests against
/// what a provider documents.
public final class RecordingHTTPServer: Sendable {
    /// One request as it arrived.
    public struct Request: Sendable, Hashable {
        public var method: String
        public var target: String
        /// Header names lower-cased; the last value of a repeated header.
        public var headers: [String: String]
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    private let channel: any Channel
    private let recorded: NIOLockedValueBox<[Request]>
    public let port: Int

    private init(channel: any Channel, recorded: NIOLockedValueBox<[Request]>) {
        self.channel = channel
        self.recorded = recorded
        port = channel.localAddress?.port ?? 0
    }

    /// Every request so far, in arrival order.
    public var requests: [Request] { recorded.withLockedValue { $0 } }

    /// The base URL, `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Listens on 127.0.0.1 on `port` (0: a free one); `status` picks each answer's status from the request and the
    /// number of requests before it, `body` its JSON body (`{}` unless told).
    public static func start(
        port: Int = 0,
        status: @escaping @Sendable (Request, Int) -> Int = { _, _ in 201 },
        body: @escaping @Sendable (Request) -> String = { _ in "{}" }
    ) async throws -> RecordingHTTPServer {
        let recorded = NIOLockedValueBox<[Request]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        Recorder(recorded: recorded, status: status, body: body))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return RecordingHTTPServer(channel: channel, recorded: recorded)
    }

    /// Stops listening.
    public func close() async {
        try? await channel.close()
    }

    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let recorded: NIOLockedValueBox<[Request]>
        let status: @Sendable (Request, Int) -> Int
        let body: @Sendable (Request) -> String
        var request = Request(method: "", target: "", headers: [:], body: [])

        init(
            recorded: NIOLockedValueBox<[Request]>, status: @escaping @Sendable (Request, Int) -> Int,
            body: @escaping @Sendable (Request) -> String
        ) {
            self.recorded = recorded
            self.status = status
            self.body = body
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                request = Request(method: head.method.rawValue, target: head.uri, headers: headers, body: [])
            case .body(var buffer):
                request.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                let request = self.request
                let before = recorded.withLockedValue { requests in
                    requests.append(request)
                    return requests.count - 1
                }
                let code = status(request, before)
                let answer = ByteBuffer(string: body(request))
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(answer.readableBytes)")
                let head = HTTPResponseHead(
                    version: .http1_1, status: HTTPResponseStatus(statusCode: code), headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
