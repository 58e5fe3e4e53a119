import Foundation
import GitFleetTesting
import Testing

@testable import FleetGit

/// Every network operation ends at its deadline, even against a remote that accepts the connection and then
/// never says a word (libgit2 1.5 alone would wait in `recv` for ever).
@Suite("Git network deadlines")
struct GitNetworkDeadlineTests {
    /// Runs `operation` against a silent remote under a 1 s deadline; returns the error and how long it took.
    private func underDeadline(_ operation: () throws -> Void) -> (error: GitError?, took: Duration) {
        let started = ContinuousClock.now
        do {
            try GitNetwork.withDeadline(.seconds(1)) { try operation() }
            return (nil, ContinuousClock.now - started)
        } catch {
            return (error as? GitError, ContinuousClock.now - started)
        }
    }

    @Test("A head lookup over http or git:// ends at the deadline with timedOut", arguments: ["http", "git"])
    func headLookupEnds(scheme: String) throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let (error, took) = underDeadline {
            _ = try GitRemoteHead.lookup(
                url: "\(scheme)://127.0.0.1:\(silent.port)/fleet.git", branch: "main", credentials: .none)
        }
        #expect(error?.code == .timedOut, "\(String(describing: error))")
        #expect(error?.message.contains("did not answer within 1s") == true, "\(String(describing: error))")
        #expect(took < .seconds(15), "the lookup took \(took)")
    }

    @Test("A fetch from a remote that went silent ends at the deadline, and the next fetch works")
    func fetchEnds() throws {
        let setup = try RemoteSetup()
        let daemon = try GitDaemon(basePath: setup.directory.path, probe: "remote.git")
        defer { daemon.stop() }
        let proxy = try StallingProxy(targetPort: daemon.port, directory: setup.directory.path)
        defer { proxy.stop() }
        let url = "git://127.0.0.1:\(proxy.port)/remote.git"
        let cache = try GitNetwork.withDeadline(.seconds(30)) {
            try GitRepository.openOrClone(url: url, cacheRoot: setup.cacheRoot, credentials: .none)
        }
        #expect(try cache.resolve("main").hex == setup.first)

        try proxy.goSilent()
        let (error, took) = underDeadline { try cache.fetch() }
        #expect(error?.code == .timedOut, "\(String(describing: error))")
        #expect(took < .seconds(15), "the fetch took \(took)")

        try setup.work.write("services/web.yaml", "image: shop/web:2.0\n")
        let second = try setup.work.commit("Web 2.0")
        try setup.work.push("origin", "main")
        try proxy.forward()
        try GitNetwork.withDeadline(.seconds(30)) { try cache.fetch() }
        #expect(try cache.resolve("main").hex == second)
    }

    @Test("An SSH handshake with a silent server ends at the deadline")
    func sshHandshakeEnds() throws {
        guard Libgit2.supportsSSH else {
            Issue.record("this libgit2 has no SSH support")
            return
        }
        let silent = try SilentListener()
        defer { silent.close() }
        let directory = try TemporaryDirectory()
        let credentials = GitCredentials.sshKey(
            .init(privateKeyPath: directory.appending("id"), knownHostsPath: directory.appending("known_hosts")))
        let (error, took) = underDeadline {
            _ = try GitRemoteHead.lookup(
                url: "ssh://git@127.0.0.1:\(silent.port)/fleet.git", branch: "main", credentials: credentials)
        }
        #expect(error?.code == .timedOut, "\(String(describing: error))")
        #expect(took < .seconds(15), "the handshake took \(took)")
    }

    @Test("A connection to a closed port fails at once, as a network error")
    func refusedConnectionFails() throws {
        let silent = try SilentListener()
        let port = silent.port
        silent.close()
        let (error, took) = underDeadline {
            _ = try GitRemoteHead.lookup(url: "http://127.0.0.1:\(port)/fleet.git", branch: "main", credentials: .none)
        }
        #expect(error?.code == .network, "\(String(describing: error))")
        #expect(error?.message.contains("cannot connect to 127.0.0.1") == true, "\(String(describing: error))")
        #expect(took < .seconds(1))
    }
}
