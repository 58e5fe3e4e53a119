import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

extension ProbeClient {
    /// What a gRPC health check answered.
    public enum GRPCAnswer: Hashable, Sendable {
        /// The call succeeded (grpc-status 0) with this serving status.
        case status(GRPCHealthMessage.ServingStatus)
        /// The call failed with a gRPC status code (12: UNIMPLEMENTED, the server has no health service).
        case failed(code: Int, message: String)
    }

    /// Calls grpc.health.v1.Health/Check for `service` on `host:port` over plaintext HTTP/2 (prior knowledge, as
    /// every gRPC server accepts), all within `timeout`. One connection per call, closed after it: a probe is
    /// rare next to the traffic it guards, and a fresh connection also proves the port still accepts one.
    ///
    /// Written on swift-nio-http2, which AsyncHTTPClient already builds, instead of grpc-swift (see
    /// docs/architecture.md): a unary call is one HEADERS and one DATA frame out, and headers, data and trailers in.
    public func grpcHealthCheck(host: String, port: Int, service: String, timeout: Duration) async throws
        -> GRPCAnswer
    {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let timedOut = NIOLockedValueBox(false)
        let (channel, multiplexer) = try await connectHTTP2(host: host, port: port, timeout: timeout)
        // Closing the connection at the deadline ends whatever the call is waiting for.
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await call(multiplexer, authority: "\(Self.urlHost(host)):\(port)", service: service)
        } catch {
            if timedOut.withLockedValue({ $0 }) { throw Failure("timed out after \(timeout.manifestDescription)") }
            throw error
        }
    }

    private func connectHTTP2(host: String, port: Int, timeout: Duration) async throws -> (
        any Channel, NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    ) {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: Self.bare(host), port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                            mode: .client
                        ) { stream in stream.eventLoop.makeSucceededVoidFuture() }
                        return (channel, multiplexer)
                    }
                }
        } catch ChannelError.connectTimeout(_) {
            throw Failure("timed out after \(timeout.manifestDescription)")
        }
    }

    private func call(
        _ multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>, authority: String, service: String
    ) async throws -> GRPCAnswer {
        let stream = try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<HTTP2Frame.FramePayload, HTTP2Frame.FramePayload>(
                    wrappingChannelSynchronously: channel)
            }
        }
        return try await stream.executeThenClose { inbound, outbound in
            let headers: HPACKHeaders = [
                ":method": "POST", ":scheme": "http", ":path": GRPCHealthMessage.checkPath, ":authority": authority,
                "content-type": "application/grpc", "te": "trailers", "user-agent": "gitfleet",
            ]
            try await outbound.write(.headers(.init(headers: headers)))
            let message = GRPCHealthMessage.framed(GRPCHealthMessage.request(service: service))
            try await outbound.write(.data(.init(data: .byteBuffer(ByteBuffer(bytes: message)), endStream: true)))

            var body: [UInt8] = []
            var httpStatus: String? = nil
            var grpcStatus: String? = nil
            var grpcMessage = ""
            reading: for try await payload in inbound {
                switch payload {
                case .headers(let frame):
                    // The answer's headers carry :status; its trailers (or a trailers-only answer) grpc-status.
                    if let status = frame.headers.first(name: ":status") { httpStatus = status }
                    if let status = frame.headers.first(name: "grpc-status") { grpcStatus = status }
                    if let text = frame.headers.first(name: "grpc-message") { grpcMessage = text }
                    if frame.endStream { break reading }
                case .data(let frame):
                    if case .byteBuffer(let buffer) = frame.data, body.count < 1 << 16 {
                        body += buffer.readableBytesView
                    }
                    if frame.endStream { break reading }
                case .rstStream(let code):
                    throw Failure("the server reset the call (\(code))")
                default:
                    continue
                }
            }
            guard httpStatus == "200" else {
                throw Failure("HTTP/2 status \(httpStatus ?? "missing"), not a gRPC answer")
            }
            guard let grpcStatus, let code = Int(grpcStatus) else {
                throw Failure("the answer has no grpc-status")
            }
            guard code == 0 else { return .failed(code: code, message: grpcMessage) }
            guard let message = GRPCHealthMessage.unframed(body),
                let status = GRPCHealthMessage.servingStatus(message)
            else { throw Failure("the answer is not a HealthCheckResponse") }
            return .status(status)
        }
    }
}
