import FleetModel
import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

extension ProbeClient {
    /// What a gRPC health check answered.
    public enum GRPCAnswer: Hashable, Sendable {
        /// The call succeeded with this serving status.
        case status(GRPCHealthMessage.ServingStatus)
        /// The call failed with a gRPC status code (12: UNIMPLEMENTED, the server has no health service).
        case failed(code: Int, message: String)
    }

    /// Calls grpc.health.v1.Health/Check for `service` on `host:port` over plaintext HTTP/2 (prior knowledge),
    /// within `timeout`, with the hand-written messages of ``GRPCHealthMessage``.
    ///
    /// One unary call on swift-nio-http2, which the build already has (AsyncHTTPClient uses it): grpc-swift-2's
    /// client and transport cost more than two minutes of every clean build (they bring swift-certificates and
    /// NIO's transport services) for one request and one answer. One connection per call, closed after it: a
    /// probe is rare next to the traffic it guards, and a fresh connection also proves the port accepts one.
    public func grpcHealthCheck(host: String, port: Int, service: String, timeout: Duration) async throws
        -> GRPCAnswer
    {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.configureHTTP2Pipeline(mode: .client, inboundStreamInitializer: nil).map { _ in }
                }
                .connect(host: Self.bare(host), port: port).get()
        } catch let error as ChannelError {
            if case .connectTimeout = error { throw Failure("timed out after \(timeout.manifestDescription)") }
            throw Failure("cannot connect: \(error)")
        } catch {
            throw Failure("cannot connect: \(error)")
        }
        defer { channel.close(promise: nil) }

        let answer = channel.eventLoop.makePromise(of: GRPCAnswer.self)
        let expiry = channel.eventLoop.scheduleTask(deadline: deadline) {
            answer.fail(Failure("timed out after \(timeout.manifestDescription)"))
        }
        // A connection that closes (an HTTP/1.1 server hangs up on the HTTP/2 preface) ends the wait too.
        channel.closeFuture.whenComplete { _ in
            answer.fail(Failure("the connection closed before an answer: not a gRPC server?"))
        }
        let authority = "\(Self.urlHost(host)):\(port)"
        let call = GRPCHealthCall(
            authority: authority, service: service, timeout: timeout, answer: answer)
        do {
            let multiplexer = try await channel.pipeline.handler(type: HTTP2StreamMultiplexer.self).get()
            multiplexer.createStreamChannel(promise: nil) { stream in
                stream.eventLoop.makeCompletedFuture { try stream.pipeline.syncOperations.addHandler(call) }
            }
            let result = try await answer.futureResult.get()
            expiry.cancel()
            return result
        } catch {
            expiry.cancel()
            answer.fail(error)
            throw error is Failure ? error : Failure("\(error)")
        }
    }
}

/// One grpc.health.v1.Health/Check call on an HTTP/2 stream: HEADERS and a DATA frame with the
/// length-prefixed request out; HEADERS, DATA and trailers (or trailers only) in. The gRPC status is in the
/// trailers (`grpc-status`, `grpc-message`); a non-200 HTTP status means the server is no gRPC server.
final class GRPCHealthCall: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let authority: String
    private let service: String
    private let timeout: Duration
    private let answer: EventLoopPromise<ProbeClient.GRPCAnswer>
    private var body: [UInt8] = []
    private var sawHeaders = false

    init(
        authority: String, service: String, timeout: Duration, answer: EventLoopPromise<ProbeClient.GRPCAnswer>
    ) {
        self.authority = authority
        self.service = service
        self.timeout = timeout
        self.answer = answer
    }

    func channelActive(context: ChannelHandlerContext) {
        let milliseconds = max(1, timeout.milliseconds)
        let headers = HPACKHeaders([
            (":method", "POST"), (":scheme", "http"), (":path", "/grpc.health.v1.Health/Check"),
            (":authority", authority), ("content-type", "application/grpc"), ("te", "trailers"),
            ("grpc-timeout", "\(milliseconds)m"), ("user-agent", "gitfleet-probe"),
        ])
        context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
        let message = GRPCHealthMessage.request(service: service)
        var frame = context.channel.allocator.buffer(capacity: 5 + message.count)
        frame.writeInteger(UInt8(0))  // not compressed
        frame.writeInteger(UInt32(message.count))
        frame.writeBytes(message)
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(frame), endStream: true))), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let frame):
            if !sawHeaders {
                sawHeaders = true
                if let status = frame.headers.first(name: ":status"), status != "200" {
                    answer.fail(ProbeClient.Failure("HTTP status \(status): not a gRPC server"))
                    return
                }
            }
            if let code = frame.headers.first(name: "grpc-status") {
                finish(code: Int(code) ?? 2, message: frame.headers.first(name: "grpc-message") ?? "")
            } else if frame.endStream {
                answer.fail(ProbeClient.Failure("the answer has no grpc-status: not a gRPC server?"))
            }
        case .data(let frame):
            if case .byteBuffer(var buffer) = frame.data, let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
            if frame.endStream {
                answer.fail(ProbeClient.Failure("the answer has no grpc-status: not a gRPC server?"))
            }
        case .rstStream(let frame):
            answer.fail(ProbeClient.Failure("the server reset the call (\(frame))"))
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        answer.fail(ProbeClient.Failure("the call ended before an answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        answer.fail(ProbeClient.Failure("\(error)"))
        context.close(promise: nil)
    }

    /// The call's outcome from its trailers: status 0 with a response message is a serving status.
    private func finish(code: Int, message: String) {
        guard code == 0 else {
            answer.succeed(.failed(code: code, message: message.removingPercentEncoding ?? message))
            return
        }
        // One length-prefixed message: a compression flag (0), a big-endian length, the message.
        guard body.count >= 5, body[0] == 0 else {
            answer.fail(ProbeClient.Failure("the answer is not a HealthCheckResponse"))
            return
        }
        let length = body[1..<5].reduce(0) { $0 << 8 | Int($1) }
        guard body.count == 5 + length, let status = GRPCHealthMessage.servingStatus(Array(body[5...])) else {
            answer.fail(ProbeClient.Failure("the answer is not a HealthCheckResponse"))
            return
        }
        answer.succeed(.status(status))
    }
}
