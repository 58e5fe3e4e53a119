// The demo's gRPC health endpoint (grpc.health.v1.Health/Check), for the tests of gitfleet's grpc probe: started on
// $PORT_GRPC (the port named `grpc`) when it is set. It answers SERVING for the server as a whole ("") and for the
// service named by GITFLEET_SERVICE, NOT_SERVING for both when the health check fails (DEMO_FAIL_HEALTH,
// DEMO_FAIL_HEALTH_FILE: the same switch as /healthz), grpc-status NOT_FOUND for any other service and
// UNIMPLEMENTED for any other method. Plaintext HTTP/2 with prior knowledge, as gRPC servers speak it, on SwiftNIO.

import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// Answers one call per HTTP/2 stream, once the request has ended.
final class GRPCHealthHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var path = ""
    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let frame):
            path = frame.headers.first(name: ":path") ?? ""
            if frame.endStream { answer(context: context) }
        case .data(let frame):
            if case .byteBuffer(let buffer) = frame.data { body += buffer.readableBytesView }
            if frame.endStream { answer(context: context) }
        default:
            break
        }
    }

    private func answer(context: ChannelHandlerContext) {
        let headers: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]
        guard path == "/grpc.health.v1.Health/Check" else {
            return trailersOnly(context: context, status: 12, message: "unknown method \(path)")
        }
        let service = requestedService(body) ?? ""
        guard service.isEmpty || service == (environment("GITFLEET_SERVICE") ?? "") else {
            return trailersOnly(context: context, status: 5, message: "unknown service \(service)")
        }
        // HealthCheckResponse { status = 1 (SERVING) or 2 (NOT_SERVING) }, length-prefixed.
        let message: [UInt8] = [0, 0, 0, 0, 2, 0x08, healthFails() ? 2 : 1]
        context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer(bytes: message))))), promise: nil)
        context.writeAndFlush(
            wrapOutboundOut(.headers(.init(headers: ["grpc-status": "0"], endStream: true))), promise: nil)
    }

    private func trailersOnly(context: ChannelHandlerContext, status: Int, message: String) {
        let headers: HPACKHeaders = [
            ":status": "200", "content-type": "application/grpc", "grpc-status": "\(status)", "grpc-message": message,
        ]
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
    }

    /// Field 1 (`service`) of a length-prefixed HealthCheckRequest; nil when there is none.
    private func requestedService(_ body: [UInt8]) -> String? {
        guard body.count >= 7, body[5] == 0x0A, body[6] < 0x80, body.count >= 7 + Int(body[6]) else { return nil }
        return String(decoding: body[7..<(7 + Int(body[6]))], as: UTF8.self)
    }
}

/// Starts the endpoint on `host:port` on NIO's shared event loops; it stops with the process.
func startGRPCHealth(host: String, port: Int) {
    let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.configureHTTP2Pipeline(mode: .server) { stream in
                stream.pipeline.addHandler(GRPCHealthHandler())
            }.map { _ in }
        }
    do {
        _ = try bootstrap.bind(host: host, port: port).wait()
        log("gitfleet-demo gRPC health on \(host):\(port)")
    } catch {
        fatal("cannot listen for gRPC on \(host):\(port): \(error)")
    }
}
