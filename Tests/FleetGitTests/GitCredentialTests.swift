import Foundation
import GitFleetTesting
import Testing

@testable import FleetGit

/// A loopback HTTP server that answers every request with 401 and a Basic challenge, logging each request
/// and whether it carried credentials. It exits after 50 requests, so a client that retried forever fails the
/// test with a network error instead of hanging it.
private struct RejectingHTTPServer {
    let child: ChildProcess
    let port: Int
    let log: String

    static let script = """
        import http.server, sys
        log = sys.argv[1]
        served = 0
        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                global served
                served += 1
                with open(log, "a") as f:
                    f.write("%s %s\\n" % ("auth" if self.headers.get("Authorization") else "anon", self.path))
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="fleet"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            do_GET = answer
            do_POST = answer
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        while served < 50:
            server.handle_request()
        """

    init(directory: TemporaryDirectory) throws {
        log = directory.appending("requests.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        child = try ChildProcess(["python3", "-c", Self.script, log])
        port = try #require(child.readLine().flatMap { Int($0) })
    }

    func requests() throws -> [String] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}

@Suite struct GitCredentialTests {
    @Test(arguments: [1, 3])
    func aRejectedTokenGivesUpAfterMaxAttempts(maxAttempts: Int) throws {
        let directory = try TemporaryDirectory()
        let server = try RejectingHTTPServer(directory: directory)
        defer { server.child.stop() }
        let tokenFile = directory.appending("token")
        try "wrong-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let url = "http://127.0.0.1:\(server.port)/fleet.git"

        let error = try #require(throws: GitError.self) {
            try GitRepository.openOrClone(
                url: url, cacheRoot: directory.appending("cache"),
                credentials: .httpsToken(.file(path: tokenFile), maxAttempts: maxAttempts))
        }
        #expect(error.code == .auth)
        #expect(error.message.contains("\(maxAttempts) times"))
        let requests = try server.requests()
        #expect(requests.filter { $0.hasPrefix("auth") }.count == maxAttempts)
        #expect(requests.count == maxAttempts + 1)
    }

    @Test func remoteHeadLookupWithoutCredentialsReportsAuth() throws {
        let directory = try TemporaryDirectory()
        let server = try RejectingHTTPServer(directory: directory)
        defer { server.child.stop() }
        let error = try #require(throws: GitError.self) {
            try GitRemoteHead.lookup(
                url: "http://127.0.0.1:\(server.port)/fleet.git", branch: "main", credentials: .none)
        }
        #expect(error.code == .auth)
        #expect(error.message.contains("no credentials"))
        #expect(try server.requests().count == 1)
    }

    @Test func anUnreachableRemoteIsANetworkError() throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let error = try #require(throws: GitError.self) {
            try GitRemoteHead.lookup(url: "http://127.0.0.1:1/fleet.git", branch: "main", credentials: .none)
        }
        #expect(error.code == .network)
    }
}
