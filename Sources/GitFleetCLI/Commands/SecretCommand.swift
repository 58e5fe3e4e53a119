import ArgumentParser
import FleetController
import FleetModel
import FleetSecrets
import Foundation

/// `gitfleet secret`: seal a secret for the fleet's recipients, or make an identity for a controller.
struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Seal secrets for the fleet's recipients; make a controller's identity. See docs/secrets.md.",
        subcommands: [SealSecretCommand.self, KeygenSecretCommand.self]
    )
}

/// `gitfleet secret seal NAME`: standard input, encrypted to every recipient of fleet.yaml, written as
/// `secrets/NAME.age` (armored) in the working tree. Sealing needs only public keys, so anyone who may open a
/// pull request can change a secret, and nobody who cannot decrypt can read the others.
struct SealSecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Encrypt standard input for the recipients in fleet.yaml and write secrets/NAME.age.",
        discussion: """
            The value is taken byte for byte, a final newline included: use printf '%s' or a file \
            (gitfleet secret seal db-password < password.txt). Commit the file; rotating a secret is sealing it \
            again.
            """
    )

    @Argument(help: "The secret's name, as manifests refer to it ({secret: NAME}).")
    var name: String

    @Option(name: .long, help: "The fleet repository's working tree.")
    var repo: String = "."

    @Option(name: .long, help: "The fleet's folder inside the repository (holding fleet.yaml).")
    var path: String = ""

    func run() throws {
        guard SecretReference.isValidName(name) else {
            throw ValidationError("'\(name)' is not a valid secret name (expected \(SecretReference.nameRule))")
        }
        let root = URL(fileURLWithPath: repo).appendingPathComponent(path).standardizedFileURL.path
        let fleetPath = "\(root)/fleet.yaml"
        guard let contents = FileManager.default.contents(atPath: fleetPath) else {
            Terminal.error("error: \(fleetPath) cannot be read; it lists the recipients secrets are sealed for")
            throw CommandFailure()
        }
        var decoder = ManifestDecoder()
        let parsed = decoder.parse(
            ManifestFile(path: "fleet.yaml", contents: Array(contents), blobID: nil), role: .fleet)
        guard parsed.issues.isEmpty else {
            Terminal.error(ManifestError(issues: parsed.issues).description)
            throw CommandFailure()
        }
        var recipients: [AgeRecipient] = []
        for text in parsed.secretRecipients {
            do {
                recipients.append(try AgeRecipient(text))
            } catch {
                Terminal.error("error: \(fleetPath): spec.recipients: \(text): \(error.description)")
                throw CommandFailure()
            }
        }
        guard !recipients.isEmpty else {
            Terminal.error(
                "error: \(fleetPath) lists no recipients; add spec.recipients (the controller's age1… public key)")
            throw CommandFailure()
        }
        let value = Array(FileHandle.standardInput.readDataToEndOfFile())
        let sealed: [UInt8]
        do {
            sealed = try Age.encrypt(value, to: recipients, armored: true)
        } catch {
            Terminal.error("error: cannot seal \(name): \(error.description)")
            throw CommandFailure()
        }
        let directory = "\(root)/\(SecretReference.directory)"
        let target = "\(root)/\(SecretReference.path(of: name))"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(sealed).write(to: URL(fileURLWithPath: target), options: .atomic)
        } catch {
            Terminal.error("error: cannot write \(target): \(error.localizedDescription)")
            throw CommandFailure()
        }
        let count = recipients.count == 1 ? "1 recipient" : "\(recipients.count) recipients"
        Terminal.out("sealed \(name) for \(count): \(target)")
    }
}

/// `gitfleet secret keygen --output FILE`: what `age-keygen -o FILE` does, for hosts without the age tool.
struct KeygenSecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new age identity file (mode 0600) and print its recipient (age1…) for fleet.yaml."
    )

    @Option(name: [.short, .long], help: "The identity file to write; it must not exist yet.")
    var output: String

    func run() throws {
        let identity = AgeIdentity.generate()
        let contents = Array(AgeIdentityFile.contents(for: identity).utf8)
        let descriptor = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            Terminal.error("error: cannot create \(output): \(String(cString: strerror(errno)))")
            throw CommandFailure()
        }
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try file.write(contentsOf: Data(contents))
            try file.close()
        } catch {
            Terminal.error("error: cannot write \(output): \(error.localizedDescription)")
            throw CommandFailure()
        }
        Terminal.out("\(identity.recipient)")
    }
}
