import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback HTTP/1.1 listener whose answers a closure gives, one request per connection, as the demo service
/// answers: what a ``ScriptedRuntime`` instance serves on each of its ports.
final class ScriptedHTTPServer: Sendable {
    /// A status, a content type and a body for a request target.
    typealias Respond = @Sendable (_ target: String) -> (status: Int, contentType: String, body: String)

    private let channel: any Channel
    let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    /// Listens on 127.0.0.1:`port` (0: any free port).
    static func start(port: Int, respond: @escaping Respond) async throws -> ScriptedHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Answer(respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return ScriptedHTTPServer(channel: channel)
    }

    /// Stops listening; the port is free once this returns.
    func close() async {
        try? await channel.close()
    }

    private final class Answer: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let respond: Respond
        var target = "/"

        init(respond: @escaping Respond) {
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                target = head.uri
            case .body:
                break
            case .end:
                let answer = respond(target)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: answer.contentType)
                headers.add(name: "Content-Length", value: "\(answer.body.utf8.count)")
                headers.add(name: "Connection", value: "close")
                let head = HTTPResponseHead(
                    version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}
