import GRPCCore
import GRPCNIOTransportHTTP2

extension ProbeClient {
    /// What a gRPC health check answered.
    public enum GRPCAnswer: Hashable, Sendable {
        /// The call succeeded with this serving status.
        case status(GRPCHealthMessage.ServingStatus)
        /// The call failed with a gRPC status code (12: UNIMPLEMENTED, the server has no health service).
        case failed(code: Int, message: String)
    }

    /// Calls grpc.health.v1.Health/Check for `service` on `host:port` over plaintext HTTP/2, within `timeout`,
    /// through grpc-swift-2 with the hand-written messages of ``GRPCHealthMessage``. One client and connection
    /// per call, closed after it: a probe is rare next to the traffic it guards, and a fresh connection also
    /// proves the port still accepts one. The call does not wait for a connection: a refused one is its answer.
    public func grpcHealthCheck(host: String, port: Int, service: String, timeout: Duration) async throws
        -> GRPCAnswer
    {
        let bare = Self.bare(host)
        let target: any ResolvableTarget =
            bare.contains(":") ? .ipv6(address: bare, port: port) : .ipv4(address: bare, port: port)
        let transport = try HTTP2ClientTransport.Posix(
            target: target, transportSecurity: .plaintext, eventLoopGroup: group)
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = false
        let check = MethodDescriptor(
            service: ServiceDescriptor(fullyQualifiedService: "grpc.health.v1.Health"), method: "Check")
        do {
            return try await withGRPCClient(transport: transport) { client in
                try await client.unary(
                    request: ClientRequest(message: service), descriptor: check,
                    serializer: GRPCHealthMessage.RequestSerializer(),
                    deserializer: GRPCHealthMessage.ResponseDeserializer(), options: options
                ) { response in
                    switch response.accepted {
                    case .success(let contents):
                        switch contents.message {
                        case .success(let status): return .status(status)
                        case .failure(let error): return .failed(code: error.code.rawValue, message: error.message)
                        }
                    case .failure(let error):
                        return .failed(code: error.code.rawValue, message: error.message)
                    }
                }
            }
        } catch let error as RPCError where error.code == .deadlineExceeded {
            throw Failure("timed out after \(timeout.manifestDescription)")
        } catch let error as RPCError {
            // The client's own failures (no connection, a server that is not gRPC) end here, not as an answer.
            throw Failure("\(error.code): \(error.message)")
        }
    }
}

extension GRPCHealthMessage {
    /// Writes a `HealthCheckRequest` for a service name.
    struct RequestSerializer: MessageSerializer {
        func serialize<Bytes: GRPCContiguousBytes>(_ service: String) throws -> Bytes {
            Bytes(GRPCHealthMessage.request(service: service))
        }
    }

    /// Reads the serving status of a `HealthCheckResponse`.
    struct ResponseDeserializer: MessageDeserializer {
        struct Malformed: Error, CustomStringConvertible {
            var description: String { "the answer is not a HealthCheckResponse" }
        }

        func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> ServingStatus {
            let message = bytes.withUnsafeBytes { Array($0) }
            guard let status = GRPCHealthMessage.servingStatus(message) else { throw Malformed() }
            return status
        }
    }
}
