import FleetRuntime
import Foundation

/// Sends `GET /` to a loopback port continuously from a few concurrent workers and counts what came
/// back: requests sent, requests failed (an error or a status other than 200, with the first few
/// reasons kept), and the demo service's `version` of each answer, in order.
public actor LoadGenerator {
    public private(set) var sent = 0
    public private(set) var failed = 0
    public private(set) var failures: [String] = []
    /// The version that answered each successful request, in the order the answers arrived.
    public private(set) var versions: [String] = []
    private var running = true

    public init() {}

    /// Runs `workers` request loops against `port` until ``stop()``.
    public func run(port: Int, workers: Int = 4) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while await self.isRunning {
                        let result: Result<LoopbackHTTP.Response, any Error>
                        do {
                            result = .success(try await LoopbackHTTP.get(port: port, path: "/", timeout: .seconds(10)))
                        } catch {
                            result = .failure(error)
                        }
                        await self.record(result)
                    }
                }
            }
        }
    }

    public func stop() { running = false }

    private var isRunning: Bool { running }

    /// Answers so far, for waiting until enough were sent.
    public var answered: Int { sent }

    /// The versions of the answers after the first `count`.
    public func versions(after count: Int) -> [String] { Array(versions.dropFirst(count)) }

    private func record(_ result: Result<LoopbackHTTP.Response, any Error>) {
        sent += 1
        switch result {
        case .success(let response) where response.status == 200:
            versions.append(Self.version(in: response.body))
        case .success(let response):
            failed += 1
            if failures.count < 10 { failures.append("status \(response.status): \(response.body.prefix(200))") }
        case .failure(let error):
            failed += 1
            if failures.count < 10 { failures.append("\(error)") }
        }
    }

    /// The `version` field of the demo service's JSON answer.
    static func version(in body: String) -> String {
        guard let data = body.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let version = object["version"] as? String
        else { return "?" }
        return version
    }
}
