import FleetModel
import Foundation

/// Signs the notes the controller writes with its own SSH key (`ssh-keygen -Y sign`, namespace `gitfleet-note`),
/// so an auditor can prove with `ssh-keygen -Y verify` that a note is the controller's and unchanged
/// (docs/auditing.md). The key is the `noteSigningKey` setting: a private key file without a passphrase, kept
/// outside the repository.
public struct NoteSigner: Sendable {
    public let keyFile: String
    let tool: BoundedTool

    /// Throws when `ssh-keygen` is missing (naming the package to install).
    public init(keyFile: String, sshKeygen: String = "ssh-keygen", timeout: Duration = .seconds(10)) throws {
        self.keyFile = keyFile
        tool = try BoundedTool(sshKeygen, package: "openssh-client", timeout: timeout)
    }

    /// `ssh-keygen` could not sign: the key is missing, unreadable, too open, encrypted, or the tool stuck.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The armored signature of `body` (`-----BEGIN SSH SIGNATURE-----` … ending in a newline).
    public func signature(of body: String) async throws -> String {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let payload = try scratch.write("note", Array(body.utf8))
        let outcome = try await tool.run(
            ["-Y", "sign", "-f", keyFile, "-n", SignedNote.namespace], input: payload)
        if outcome.timedOut {
            throw Failure(message: "ssh-keygen took longer than \(tool.timeout) to sign a note with \(keyFile)")
        }
        guard outcome.status == 0, outcome.output.hasPrefix("-----BEGIN SSH SIGNATURE-----") else {
            let lines = outcome.errors.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let reason = lines.first { !$0.isEmpty && !$0.hasPrefix("Signing data on standard input") }
            throw Failure(
                message: "ssh-keygen could not sign a note with noteSigningKey \(keyFile): "
                    + (reason ?? "exit status \(outcome.status)"))
        }
        return outcome.output.hasSuffix("\n") ? outcome.output : outcome.output + "\n"
    }

    /// `body` with its signature after it: the note's text as stored.
    public func sign(_ body: String) async throws -> String {
        SignedNote(body: body, signature: try await signature(of: body)).text
    }
}

/// Checks the SSH signatures of notes against the controllers allowed to write the record (an allowed_signers
/// file whose lines name the namespace `gitfleet-note`), for `gitfleet audit verify`.
public struct NoteSignatureCheck: Sendable {
    /// What a note's signature proves.
    public enum Verdict: Hashable, Sendable {
        /// Made by `principal`'s key, over exactly the note's text.
        case good(principal: String)
        /// Without an allowed-controllers file: a valid signature over the text, by the key `fingerprint`.
        case validUnchecked(fingerprint: String)
        /// The note carries no signature.
        case unsigned
        /// Not a good signature by an allowed controller; the reason says which way.
        case bad(String)
    }

    let tool: BoundedTool
    /// The allowed_signers file naming the controllers' keys; nil checks only that signatures are intact.
    public let allowedControllers: String?

    public init(allowedControllers: String?, sshKeygen: String = "ssh-keygen", timeout: Duration = .seconds(10))
        throws
    {
        self.allowedControllers = allowedControllers
        tool = try BoundedTool(sshKeygen, package: "openssh-client", timeout: timeout)
    }

    public func check(_ note: SignedNote) async throws -> Verdict {
        guard let signature = note.signature else { return .unsigned }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let signatureFile = try scratch.write("note.sig", Array(signature.utf8))
        let body = try scratch.write("note", Array(note.body.utf8))
        let checked = try await tool.run(
            ["-Y", "check-novalidate", "-n", SignedNote.namespace, "-s", signatureFile], input: body)
        let text = checked.output + "\n" + checked.errors
        guard !checked.timedOut, checked.status == 0,
            let key = text.range(of: " key ").map({ String(text[$0.upperBound...].prefix { !$0.isWhitespace }) })
        else {
            return .bad(
                checked.timedOut
                    ? "ssh-keygen took longer than \(tool.timeout) to check the signature"
                    : "the signature does not match the note's text (it was changed after it was signed, or the "
                        + "signature is not one of namespace \(SignedNote.namespace))")
        }
        guard let allowedControllers else { return .validUnchecked(fingerprint: key) }
        let found = try await tool.run(["-Y", "find-principals", "-s", signatureFile, "-f", allowedControllers])
        let principals = found.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard found.status == 0, !found.timedOut, !principals.isEmpty else {
            return .bad("signed with key \(key), which is not an allowed controller's in \(allowedControllers)")
        }
        for principal in principals {
            let verified = try await tool.run(
                [
                    "-Y", "verify", "-f", allowedControllers, "-I", principal, "-n", SignedNote.namespace, "-s",
                    signatureFile,
                ], input: body)
            if verified.status == 0 && !verified.timedOut { return .good(principal: principal) }
        }
        return .bad(
            "signed with key \(key) of \(principals.joined(separator: ", ")), but \(allowedControllers) does not allow "
                + "it to sign in namespace \(SignedNote.namespace) (or the key has expired there)")
    }
}
