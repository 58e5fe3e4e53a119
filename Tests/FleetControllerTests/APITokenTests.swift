import FleetController
import Testing

@Suite("API token lines and listen addresses")
struct APITokenTests {
    @Test("a token's line: NAME scope=read|operate|agent file=PATH")
    func parses() throws {
        let tokens = try APIToken.list(
            "ci scope=read file=/run/t/ci, oncall scope=operate file=/run/t/oncall, lb-1 scope=agent file=/run/t/lb-1"
        ).get()
        #expect(
            tokens == [
                APIToken(name: "ci", scope: .read, file: "/run/t/ci"),
                APIToken(name: "oncall", scope: .operate, file: "/run/t/oncall"),
                APIToken(name: "lb-1", scope: .agent, file: "/run/t/lb-1"),
            ])
        #expect(
            tokens.map(\.description) == [
                "ci scope=read file=/run/t/ci", "oncall scope=operate file=/run/t/oncall",
                "lb-1 scope=agent file=/run/t/lb-1",
            ])
        #expect(APIToken.Scope.operate > .read)
        #expect(APIToken.Scope.agent < .read, "an agent's token passes no rule that asks for read")
    }

    @Test(
        "a bad line says what is wrong",
        arguments: [
            ("", "empty"),
            ("ci file=/t", "needs scope=read, scope=operate or scope=agent"),
            ("ci scope=admin file=/t", "'admin' in the token 'ci' is not a scope"),
            ("ci scope=read", "needs file=PATH"),
            ("ci scope=read file=/t secret=x", "has no key 'secret'"),
            ("ci scope=read /t", "'/t' in the token 'ci' is not key=value"),
            ("c!i scope=read file=/t", "'c!i' is not a token's name"),
            ("ci scope=read file=/a,ci scope=operate file=/b", "'ci' is given twice"),
        ])
    func refuses(_ text: String, _ expected: String) {
        let result = text.isEmpty ? APIToken.parse(text).map { [$0] } : APIToken.list(text)
        guard case .failure(let error) = result else {
            Issue.record("'\(text)' was accepted")
            return
        }
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test("listen addresses and loopback")
    func addresses() {
        #expect(ListenAddress("0.0.0.0:9443") == ListenAddress(host: "0.0.0.0", port: 9443))
        #expect(ListenAddress("[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(ListenAddress("9443") == nil)
        #expect(ListenAddress("host:70000") == nil)
        #expect(ListenAddress(host: "::1", port: 8).description == "[::1]:8")
        for host in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
            #expect(ListenAddress.isLoopback(host), "\(host)")
        }
        for host in ["0.0.0.0", "::", "10.0.0.1", "gitfleet.example.com", "127.0.0.1.example.com"] {
            #expect(!ListenAddress.isLoopback(host), "\(host)")
        }
    }
}
