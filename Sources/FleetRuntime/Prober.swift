import FleetModel
import Foundation

/// The outcome of one health probe: whether it passed, and in words what was seen (status code, error,
/// exit code and output tail), so a failed instance's `reason` says why.
public struct ProbeResult: Hashable, Sendable, CustomStringConvertible {
    public var success: Bool
    public var detail: String

    public init(success: Bool, detail: String) {
        self.success = success
        self.detail = detail
    }

    public var description: String { "\(success ? "healthy" : "unhealthy"): \(detail)" }
}

/// Runs a service's health probe against one instance.
///
/// - http: `method` (GET) for `path` on the instance's address and named port, with the spec's headers; a status in
///   the spec's `status` ranges passes (by default 2xx and 3xx).
/// - grpc: grpc.health.v1.Health/Check on the named port; only SERVING passes.
/// - tcp: a connection to the named port is accepted.
/// - exec: the runtime runs argv next to the instance with its environment; exit 0 passes; killed at the timeout.
///
/// Every probe finishes within its timeout (plus scheduling slack) and never throws: a failure is a result.
public struct Prober: Sendable {
    public let runtime: any Runtime
    /// Does the network work of http and tcp probes without blocking a thread.
    public let client: ProbeClient

    /// A prober through `client`, by default the runtime's own (see ``Runtime/probeClient``).
    public init(runtime: any Runtime, client: ProbeClient? = nil) {
        self.runtime = runtime
        self.client = client ?? runtime.probeClient
    }

    public func probe(_ probe: HealthCheck.Probe, instance: RuntimeInstance, timeout: Duration) async -> ProbeResult {
        switch probe {
        case .http(let path, let portName, let method, let headers, let status):
            guard let port = instance.ports[portName] else {
                return ProbeResult(success: false, detail: "instance has no port named '\(portName)'")
            }
            let method = method ?? "GET"
            do {
                let response = try await client.request(
                    host: instance.address, port: port, path: path, method: method, headers: headers ?? [:],
                    timeout: timeout)
                let passed = (status ?? HealthCheck.defaultHTTPStatus).contains { $0.contains(response.status) }
                return ProbeResult(
                    success: passed, detail: "\(method) \(path) on port \(port): HTTP \(response.status)")
            } catch {
                return ProbeResult(success: false, detail: "\(method) \(path) on port \(port): \(error)")
            }
        case .grpc(let portName, let service):
            guard let port = instance.ports[portName] else {
                return ProbeResult(success: false, detail: "instance has no port named '\(portName)'")
            }
            let what = "gRPC health check" + (service.map { " of '\($0)'" } ?? "") + " on port \(port)"
            do {
                switch try await client.grpcHealthCheck(
                    host: instance.address, port: port, service: service ?? "", timeout: timeout)
                {
                case .status(let status):
                    return ProbeResult(success: status == .serving, detail: "\(what): \(status)")
                case .failed(let code, let message):
                    let name = code == 12 ? "UNIMPLEMENTED (no health service)" : "gRPC status \(code)"
                    return ProbeResult(
                        success: false, detail: "\(what): \(name)" + (message.isEmpty ? "" : ": \(message)"))
                }
            } catch {
                return ProbeResult(success: false, detail: "\(what): \(error)")
            }
        case .tcp(let portName):
            guard let port = instance.ports[portName] else {
                return ProbeResult(success: false, detail: "instance has no port named '\(portName)'")
            }
            do {
                try await client.connect(host: instance.address, port: port, timeout: timeout)
                return ProbeResult(success: true, detail: "tcp port \(port) accepted a connection")
            } catch {
                return ProbeResult(success: false, detail: "tcp port \(port): \(error)")
            }
        case .exec(let command):
            do {
                let result = try await runtime.exec(instanceID: instance.instanceID, command: command, timeout: timeout)
                let tail = result.output.suffix(512).trimmingCharacters(in: .whitespacesAndNewlines)
                let output = tail.isEmpty ? "" : ": \(tail)"
                if result.timedOut {
                    return ProbeResult(
                        success: false, detail: "exec timed out after \(timeout.manifestDescription)\(output)")
                }
                let passed = result.status?.isSuccess ?? false
                return ProbeResult(success: passed, detail: "exec \(result.status.map { "\($0)" } ?? "ended")\(output)")
            } catch {
                return ProbeResult(success: false, detail: "exec failed: \(error)")
            }
        }
    }
}
