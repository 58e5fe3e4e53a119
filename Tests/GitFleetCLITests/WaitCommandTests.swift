import Foundation
import GitFleetTesting
import Testing

@Suite("gitfleet wait against a running controller", .serialized)
struct WaitCommandTests {
    @Test("wait exits 0 for a commit that converges and 1 for one that rolls back")
    func convergedAndRolledBack() async throws {
        let fleet = try EmbeddedFleet()
        let remote = try fleet.remote()
        let good = try fleet.commitWeb("demo/web:1.0.0", replicas: 2)
        try fleet.push()
        try await fleet.withServe(remote) { serve in
            let server = "http://127.0.0.1:\(try await serve.port())"
            let converged = try await BuiltProducts.gitfleet([
                "wait", good, "--server", server, "--timeout", "120s", "--interval", "500ms",
            ])
            #expect(converged.status == 0, "\(converged)\n\(serve.log)")
            #expect(converged.standardOutput.contains("\(good.prefix(12)): converged"), "\(converged)")

            let broken = try fleet.commitWeb("demo/web:broken", replicas: 2, progressDeadline: "20s")
            try fleet.push()
            let rolledBack = try await BuiltProducts.gitfleet([
                "wait", broken, "--server", server, "--timeout", "180s", "--interval", "500ms",
            ])
            #expect(rolledBack.status == 1, "\(rolledBack)\n\(serve.log)")
            #expect(rolledBack.standardOutput.contains("\(broken.prefix(12)): rolled-back"), "\(rolledBack)")

            let tooSoon = try await BuiltProducts.gitfleet([
                "wait", String(repeating: "a", count: 40), "--server", server, "--timeout", "1s",
                "--interval", "200ms",
            ])
            #expect(tooSoon.status == 2, "\(tooSoon)")
        }
    }
}
