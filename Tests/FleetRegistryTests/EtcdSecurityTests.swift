import FleetModel
import FleetRegistry
import Foundation
import GitFleetTesting
import Testing

/// The registry against an etcd that demands who its clients are: user name and password, or a client
/// certificate over TLS. The files and users are made here with openssl and etcdctl.
@Suite struct EtcdSecurityTests {
    @Test func usernameAndPasswordAreRequiredAndUsed() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        for arguments in [
            ["role", "add", "root"], ["user", "add", "root:s3cret", "--interactive=false"],
            ["user", "grant-role", "root", "root"], ["auth", "enable"],
        ] {
            try Self.run("/usr/bin/etcdctl", ["--endpoints", etcd.clientURL] + arguments)
        }
        let record = RegistryConformance.instance("web-1")
        let good = EtcdConfiguration.Credentials(username: "root", password: "s3cret")
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], credentials: good)) { registry in
            let revision = try await registry.commit([.putInstance(record)])
            #expect(try await registry.instance(id: "web-1")?.version == revision)
        }
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL])) { registry in
            try await RegistryConformance.expectError(.unavailable) { _ = try await registry.instances(service: nil) }
        }
        let wrong = EtcdConfiguration.Credentials(username: "root", password: "guess")
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], credentials: wrong)) { registry in
            do {
                try await registry.commit([.deleteInstance(id: "web-1")])
                Issue.record("a wrong password was accepted")
            } catch let error as RegistryError {
                #expect("\(error)".contains("authenticate"), "\(error)")
            }
        }
    }

    @Test func clientCertificatesOverTLS() async throws {
        let directory = try TemporaryDirectory(prefix: "gitfleet-etcd-tls")
        defer { directory.remove() }
        let files = try Self.makeCertificates(in: directory)
        let etcd = try await EtcdCluster(
            tls: .init(caFile: files.ca, certificateFile: files.serverCertificate, keyFile: files.serverKey))
        defer { etcd.stop() }
        #expect(etcd.clientURL.hasPrefix("https://"))

        let tls = EtcdConfiguration.TLSFiles(
            caFile: files.ca, certificateFile: files.clientCertificate, keyFile: files.clientKey)
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], tls: tls)) { registry in
            let revision = try await registry.commit([.putInstance(RegistryConformance.instance("web-1"))])
            #expect(try await registry.instance(id: "web-1")?.version == revision)
        }
        // Trusting the CA is not enough: etcd wants a client certificate.
        try await withEtcdRegistry(
            EtcdConfiguration(endpoints: [etcd.clientURL], tls: .init(caFile: files.ca), connectTimeout: .seconds(2))
        ) { registry in
            try await RegistryConformance.expectError(.unavailable) { try await registry.ping() }
        }
        // Without the CA the server's certificate is not trusted.
        try await withEtcdRegistry(EtcdConfiguration(endpoints: [etcd.clientURL], connectTimeout: .seconds(2))) {
            registry in
            try await RegistryConformance.expectError(.unavailable) { try await registry.ping() }
        }
    }

    @Test func unreadableTLSFilesAreAClearError() throws {
        #expect(throws: RegistryError.self) {
            _ = try EtcdRegistry(
                configuration: EtcdConfiguration(
                    endpoints: ["https://127.0.0.1:2379"], tls: .init(caFile: "/nonexistent/ca.pem")))
        }
    }

    struct CertificateFiles {
        var ca: String
        var serverCertificate: String
        var serverKey: String
        var clientCertificate: String
        var clientKey: String
    }

    /// A CA, a server certificate for 127.0.0.1 and a client certificate, all P-256 and valid for a day.
    static func makeCertificates(in directory: TemporaryDirectory) throws -> CertificateFiles {
        let path = { (name: String) in directory.appending(name) }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(
            "/usr/bin/openssl",
            ["req", "-x509"] + key + [
                "-subj", "/CN=gitfleet test CA", "-days", "1", "-keyout", path("ca.key"),
                "-out", path("ca.pem"),
            ])
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n".write(
            toFile: path("ext.cnf"), atomically: true, encoding: .utf8)
        for name in ["server", "client"] {
            try run(
                "/usr/bin/openssl",
                ["req"] + key + ["-subj", "/CN=\(name)", "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
            try run(
                "/usr/bin/openssl",
                [
                    "x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                    "-CAcreateserial", "-days", "1", "-extfile", path("ext.cnf"), "-out", path("\(name).pem"),
                ])
        }
        return CertificateFiles(
            ca: path("ca.pem"), serverCertificate: path("server.pem"), serverKey: path("server.key"),
            clientCertificate: path("client.pem"), clientKey: path("client.key"))
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let outcome = try BuiltProducts.runBlocking(executable, arguments)
        guard outcome.status == 0 else {
            throw FixtureError("\(executable) \(arguments.joined(separator: " ")) failed: \(outcome)")
        }
    }
}
