import ArgumentParser
import Foundation

/// Where a running controller answers, for commands that work as its client (`plan --server`) instead of
/// opening the registry with its own credentials.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "The URL of a running controller (`gitfleet serve`), e.g. http://fleet:8080.")
    var server: String?

    /// Not `--token-file`: that names the Git HTTPS token wherever a command reads the repository.
    @Option(
        name: .long,
        help:
            "A file holding the controller's API token (scope read, or operate for actions), sent as `Authorization: Bearer …`."
    )
    var serverTokenFile: String?

    @Option(
        name: .long,
        help: "A CA certificate (PEM) the controller's TLS certificate must chain to, for https:// with a private CA.")
    var serverCaFile: String?

    /// The client, when `--server` was given.
    func client() throws -> ControllerClient? {
        guard let server else {
            if serverTokenFile != nil { throw ValidationError("--server-token-file needs --server") }
            if serverCaFile != nil { throw ValidationError("--server-ca-file needs --server") }
            return nil
        }
        guard let url = URL(string: server), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw ValidationError("--server: '\(server)' is not an http:// or https:// URL")
        }
        var token: String?
        if let serverTokenFile {
            do {
                token = try String(contentsOfFile: serverTokenFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ValidationError(
                    "--server-token-file: cannot read '\(serverTokenFile)' (\(error.localizedDescription))")
            }
        }
        if let serverCaFile {
            guard scheme == "https" else { throw ValidationError("--server-ca-file needs an https:// --server") }
            guard FileManager.default.isReadableFile(atPath: serverCaFile) else {
                throw ValidationError("--server-ca-file: cannot read '\(serverCaFile)'")
            }
        }
        return ControllerClient(
            base: server.hasSuffix("/") ? String(server.dropLast()) : server, token: token, caFile: serverCaFile)
    }

    /// A command that reads the registry itself or asks the controller must be told one place: `--server`
    /// beside a flag that names a registry (or the repository whose state directory holds one) is a usage
    /// error naming both, not a silent choice of one.
    func refuseRegistryFlags(of location: RegistryLocationOptions) throws {
        guard server != nil, let flag = location.givenFlags.first else { return }
        throw ValidationError(
            "--server and \(flag) name two places to read the fleet from: give --server to ask the controller, "
                + "or \(flag) to open the registry")
    }
}
