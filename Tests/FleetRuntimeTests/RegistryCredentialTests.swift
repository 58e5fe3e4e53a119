import Foundation
import GitFleetTesting
import Testing

@testable import FleetRuntime

/// Reading registry credentials from a Docker `config.json` and encoding them as `X-Registry-Auth`: pure, no
/// engine (the pulls against a real registry are in ``PrivateRegistryTests``).
@Suite("Registry credentials from a Docker config file")
struct RegistryCredentialTests {
    static let password = "pa:ss/w+rd?"

    static func credentials(_ json: String) throws -> [String: RegistryCredential] {
        try DockerConfigFile.credentials(json: Data(json.utf8), file: "/etc/gitfleet/config.json")
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test("auth, username and password, and identitytoken entries are read; helper-only entries hold none")
    func entries() throws {
        let found = try Self.credentials(
            """
            {"auths": {
                "registry.example.com:5000": {"auth": "\(Self.base64("alice:\(Self.password)"))"},
                "ghcr.io": {"username": "bob", "password": "hunter2"},
                "quay.io": {"identitytoken": "refresh-token", "auth": "\(Self.base64("<token>:"))"},
                "helper.example.com": {}
            },
            "credsStore": "desktop", "HttpHeaders": {"User-Agent": "x"}}
            """)
        #expect(
            found["registry.example.com:5000"]
                == RegistryCredential(.password(username: "alice", password: Self.password)))
        #expect(found["ghcr.io"] == RegistryCredential(.password(username: "bob", password: "hunter2")))
        #expect(found["quay.io"] == RegistryCredential(.identityToken("refresh-token")), "a token wins over auth")
        #expect(found["helper.example.com"] == nil)
        #expect(try Self.credentials("{}").isEmpty, "a file without auths holds no credentials")
    }

    @Test(
        "Docker Hub's aliases are one registry, and old-style keys with a scheme and path match their host",
        arguments: [
            ("https://index.docker.io/v1/", "nginx"), ("docker.io", "library/nginx"), ("index.docker.io", "team/web"),
            ("registry-1.docker.io", "docker.io/team/web"),
            ("https://registry.example.com/v2/", "registry.example.com/web"),
            ("localhost:5000", "localhost:5000/web"), ("quay.io/team", "quay.io/team/web"),
            ("REGISTRY.example.com", "registry.example.com/team/web"),
        ])
    func hostMatching(key: String, repository: String) throws {
        let found = try Self.credentials(#"{"auths": {"\#(key)": {"username": "u", "password": "p"}}}"#)
        #expect(found[RegistryHost.of(repository: repository)] != nil, "\(key) serves \(repository): \(found.keys)")
    }

    @Test("An image's registry is its first component when that looks like a host, else Docker Hub")
    func registryOfImage() {
        #expect(RegistryHost.of(repository: "nginx") == "docker.io")
        #expect(RegistryHost.of(repository: "shop/web") == "docker.io")
        #expect(RegistryHost.of(repository: "localhost/demo/web") == "localhost")
        #expect(RegistryHost.of(repository: "127.0.0.1:5000/demo/web") == "127.0.0.1:5000")
        #expect(RegistryHost.of(repository: "ghcr.io/team/web") == "ghcr.io")
        #expect(RegistryHost.serverAddress(of: "docker.io") == "https://index.docker.io/v1/")
        #expect(RegistryHost.serverAddress(of: "ghcr.io") == "ghcr.io")
    }

    @Test("A key spelled as the host wins over an old-style key for the same host")
    func exactKeyWins() throws {
        let found = try Self.credentials(
            """
            {"auths": {"https://index.docker.io/v1/": {"username": "old", "password": "p"},
                       "docker.io": {"username": "new", "password": "p"}}}
            """)
        #expect(found["docker.io"] == RegistryCredential(.password(username: "new", password: "p")))
    }

    @Test("X-Registry-Auth is base64url (with padding) of the JSON the Engine API documents")
    func header() throws {
        let password = RegistryCredential(.password(username: "alice", password: Self.password))
        let header = password.registryAuthHeader(serverAddress: "registry.example.com:5000")
        #expect(!header.contains("+") && !header.contains("/") && header.count % 4 == 0, "\(header)")
        #expect(
            try Self.decoded(header)
                == ["username": "alice", "password": Self.password, "serveraddress": "registry.example.com:5000"])
        let token = RegistryCredential(.identityToken("refresh-token"))
        #expect(
            try Self.decoded(token.registryAuthHeader(serverAddress: "https://index.docker.io/v1/"))
                == ["identitytoken": "refresh-token", "serveraddress": "https://index.docker.io/v1/"])
        // Bytes that base64 spells with + and / in the standard alphabet come out as - and _.
        let awkward = RegistryCredential(.password(username: "~~~", password: "???>>>"))
        let encoded = awkward.registryAuthHeader(serverAddress: "h")
        #expect(encoded.contains("-") || encoded.contains("_"), "\(encoded)")
        #expect(try Self.decoded(encoded)["password"] == "???>>>")
    }

    /// The JSON object of a header, decoded as Go's `base64.URLEncoding` does (padded, URL alphabet).
    static func decoded(_ header: String) throws -> [String: String] {
        let standard = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let data = try #require(Data(base64Encoded: standard), "not padded base64url: \(header)")
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    @Test("A credential's description and redaction never show the secret")
    func secretsStayOut() {
        let credential = RegistryCredential(.password(username: "alice", password: Self.password))
        #expect(credential.description == "user alice")
        #expect(credential.redacting("refused alice:\(Self.password) at host") == "refused alice:*** at host")
        let token = RegistryCredential(.identityToken("refresh-token"))
        #expect(token.description == "an identity token")
        #expect(!token.redacting("bad token refresh-token").contains("refresh-token"))
    }

    @Test(
        "A bad file is refused with its path and the JSON path of the bad value, never the value",
        arguments: [
            ("{\"auths\": ", nil, "is not JSON"),
            ("[]", nil, "expected a JSON object"),
            (#"{"auths": []}"#, "auths", "expected an object of registries"),
            (#"{"auths": {"r.example": "x"}}"#, #"auths["r.example"]"#, "expected an object"),
            (
                #"{"auths": {"r.example": {"auth": "c2VjcmV0LXdpdGhvdXQtY29sb24="}}}"#, #"auths["r.example"].auth"#,
                "expected base64 of user:password"
            ),
            (#"{"auths": {"r.example": {"auth": "%%%secret%%%"}}}"#, #"auths["r.example"].auth"#, "expected base64"),
            (#"{"auths": {"r.example": {"auth": 42}}}"#, #"auths["r.example"].auth"#, "expected a string"),
            (#"{"auths": {"r.example": {"username": "u"}}}"#, #"auths["r.example"]"#, "must be given together"),
        ] as [(String, String?, String)])
    func badFiles(json: String, path: String?, message: String) {
        let error = #expect(throws: DockerConfigError.self) { try Self.credentials(json) }
        #expect(error?.path == path, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        let text = error?.description ?? ""
        #expect(text.hasPrefix("dockerConfigFile /etc/gitfleet/config.json"), "\(text)")
        for secret in ["secret-without-colon", "%%%secret%%%", "secret"] {
            #expect(!text.contains(secret), "\(text)")
        }
    }

    @Test("The file is read when asked, so a rotated file is used without a new runtime; a missing one is located")
    func readOnDemand() throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-docker-config")
        defer { directory.remove() }
        let path = directory.appending("config.json")
        let file = DockerConfigFile(path: path)
        let error = #expect(throws: DockerConfigError.self) { try file.credentials() }
        #expect(
            error?.description.hasPrefix("dockerConfigFile \(path): cannot be read") == true,
            "\(String(describing: error))")
        try #"{"auths": {"r.example": {"username": "u", "password": "old"}}}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(
            try file.credential(forRepository: "r.example/web").credential?.secret
                == .password(username: "u", password: "old"))
        try #"{"auths": {"r.example": {"username": "u", "password": "new"}}}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        let rotated = try file.credential(forRepository: "r.example/web")
        #expect(rotated.host == "r.example" && rotated.credential?.secret == .password(username: "u", password: "new"))
        #expect(try file.credential(forRepository: "other.example/web").credential == nil)
    }

    @Test("Pull failures that are the registry refusing access are told from others")
    func refusals() {
        #expect(
            DockerRuntime.isCredentialRefusal(
                "initializing source docker://127.0.0.1:5000/demo/web:1.0: reading manifest 1.0 in "
                    + "127.0.0.1:5000/demo/web: unauthorized: authentication required"))
        #expect(DockerRuntime.isCredentialRefusal("Get https://ghcr.io/v2/: no basic auth credentials"))
        #expect(!DockerRuntime.isCredentialRefusal("manifest unknown: manifest unknown"))
        #expect(!DockerRuntime.isCredentialRefusal("dial tcp 127.0.0.1:5000: connect: connection refused"))
    }
}
