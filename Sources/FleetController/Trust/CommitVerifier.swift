import FleetGit
import Foundation

/// Decides whether a commit is signed by a signer the controller's ``SignaturePolicy`` allows.
///
/// SSH signatures are checked with `ssh-keygen -Y` against the allowed_signers file, OpenPGP signatures with
/// `gpg --verify` against the configured GnuPG home. Every way of not being trusted (unsigned, unknown key,
/// bad signature, tool missing or stuck, nothing configured) is an untrusted verdict with a reason, never an
/// error, so the caller always has something to write in the commit's status annotation.
///
/// Read the signature with `GitRepository.signature(of:)` where the repository lives, then hand it here: the
/// tools run without holding the repository.
public struct CommitVerifier: Sendable {
    public var policy: SignaturePolicy

    public init(policy: SignaturePolicy) {
        self.policy = policy
    }

    /// The verdict on `commit`, which carries `signature` (nil when it is unsigned).
    public func verify(_ commit: CommitID, signature: CommitSignature?) async -> SignatureVerdict {
        guard let signature else {
            return .untrusted(
                .none, "commit \(commit.short) is not signed; only commits signed by an allowed signer are trusted")
        }
        switch signature.format {
        case .ssh:
            return await verifySSH(commit, signature)
        case .openPGP:
            return await verifyGPG(commit, signature)
        case .unknown:
            return .untrusted(
                .none,
                "commit \(commit.short) carries a signature in a format gitfleet does not verify "
                    + "(only SSH and OpenPGP signatures are supported)")
        }
    }

    // MARK: SSH

    private func verifySSH(_ commit: CommitID, _ signature: CommitSignature) async -> SignatureVerdict {
        let work: Workspace
        do {
            work = try Workspace(policy.sshKeygen, package: "openssh-client", signature: signature, policy: policy)
        } catch {
            return Self.cannotRun(.ssh, "SSH", commit, error)
        }
        let (tool, signatureFile, payloadFile) = (work.tool, work.signatureFile, work.payloadFile)
        defer { work.scratch.remove() }
        do {
            let key = try await signingKey(tool, signatureFile: signatureFile, payloadFile: payloadFile)
            guard let allowedSigners = policy.allowedSignersFile else {
                return .untrusted(
                    .ssh, signer: key,
                    "commit \(commit.short) is signed with SSH key \(key ?? "(unreadable)") but the controller has no "
                        + "allowed_signers file configured, so no SSH signature is trusted")
            }
            guard FileManager.default.isReadableFile(atPath: allowedSigners) else {
                return .untrusted(
                    .ssh, signer: key,
                    "the controller's allowed_signers file cannot be read, so commit \(commit.short) cannot be "
                        + "verified; an operator must fix the controller's allowedSignersFile setting",
                    detail: "the allowed_signers file \(allowedSigners) does not exist or is not readable")
            }
            let found = try await tool.run(["-Y", "find-principals", "-s", signatureFile, "-f", allowedSigners])
            if found.timedOut { return timedOut(tool, commit, .ssh) }
            let principals = found.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            guard found.status == 0, !principals.isEmpty else {
                guard let key else {
                    return .untrusted(
                        .ssh,
                        "commit \(commit.short) carries an SSH signature that does not match the commit "
                            + "(changed after signing, or not a valid signature)")
                }
                return .untrusted(
                    .ssh, signer: key,
                    "commit \(commit.short) is signed by key \(key) which is not in allowed_signers (the "
                        + "controller's list of trusted keys); add the key there if its owner may deploy",
                    detail: "allowed_signers file \(allowedSigners); ssh-keygen: \(found.firstErrorLine)")
            }
            var failures: [String] = []
            for principal in principals {
                let verified = try await tool.run(
                    ["-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", "git", "-s", signatureFile],
                    input: payloadFile)
                if verified.timedOut { return timedOut(tool, commit, .ssh) }
                if verified.status == 0, (verified.output + verified.errors).contains("Good \"git\" signature") {
                    return SignatureVerdict(
                        trusted: true, method: .ssh, signer: principal,
                        reason: "good SSH signature by \(principal)\(key.map { " with key \($0)" } ?? "")")
                }
                failures.append("\(principal): \(verified.firstErrorLine)")
            }
            return .untrusted(
                .ssh, signer: principals.first,
                "the SSH signature on commit \(commit.short) did not verify for the allowed signer"
                    + (principals.count == 1 ? " " : "s ") + principals.joined(separator: ", "),
                detail: "ssh-keygen -Y verify: " + failures.joined(separator: "; "))
        } catch {
            return Self.cannotRun(.ssh, "SSH", commit, error)
        }
    }

    /// The fingerprint of the key that made the signature, checked only against the payload (not against any
    /// list), so an unknown signer can be named in the reason; nil when the signature does not even verify.
    private func signingKey(_ tool: BoundedTool, signatureFile: String, payloadFile: String) async throws -> String? {
        let checked = try await tool.run(
            ["-Y", "check-novalidate", "-n", "git", "-s", signatureFile], input: payloadFile)
        guard !checked.timedOut, checked.status == 0 else { return nil }
        let text = checked.output + "\n" + checked.errors
        guard let range = text.range(of: " key ") else { return nil }
        let fingerprint = text[range.upperBound...].prefix { !$0.isWhitespace }
        return fingerprint.isEmpty ? nil : String(fingerprint)
    }

    // MARK: GPG

    private func verifyGPG(_ commit: CommitID, _ signature: CommitSignature) async -> SignatureVerdict {
        guard let home = policy.gpgHome else {
            return .untrusted(
                .gpg,
                "commit \(commit.short) is signed with an OpenPGP key but the controller has no GnuPG home "
                    + "configured, so no OpenPGP signature is trusted")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: home, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .untrusted(
                .gpg,
                "the controller's GnuPG home does not exist, so commit \(commit.short) cannot be verified; an "
                    + "operator must fix the controller's gpgHome setting",
                detail: "the GnuPG home \(home) does not exist")
        }
        let work: Workspace
        do {
            work = try Workspace(policy.gpg, package: "gnupg", signature: signature, policy: policy)
        } catch {
            return Self.cannotRun(.gpg, "OpenPGP", commit, error)
        }
        let (tool, signatureFile, payloadFile) = (work.tool, work.signatureFile, work.payloadFile)
        defer { work.scratch.remove() }
        let outcome: BoundedTool.Outcome
        do {
            outcome = try await tool.run([
                "--homedir", home, "--batch", "--no-tty", "--no-auto-key-retrieve", "--status-fd", "1",
                "--verify", signatureFile, payloadFile,
            ])
        } catch {
            return Self.cannotRun(.gpg, "OpenPGP", commit, error)
        }
        if outcome.timedOut { return timedOut(tool, commit, .gpg) }
        let status = GPGStatus(outcome.output)
        if outcome.status == 0, let fingerprint = status.validFingerprint, let good = status.good {
            return SignatureVerdict(
                trusted: true, method: .gpg, signer: fingerprint,
                reason: "good OpenPGP signature by \(good.userID) (key \(fingerprint))")
        }
        return .untrusted(
            .gpg, signer: status.keyID, status.reason(commit: commit),
            detail: "GnuPG home \(home); gpg: \(outcome.firstErrorLine)")
    }

    private func timedOut(_ tool: BoundedTool, _ commit: CommitID, _ method: SignatureVerdict.Method)
        -> SignatureVerdict
    {
        .untrusted(
            method,
            "\(BoundedTool.baseName(tool.executable)) took longer than \(policy.toolTimeout) to verify commit "
                + "\(commit.short) and was stopped",
            detail: "\(tool.executable) timed out")
    }

    /// The verdict when the verifying tool cannot be run: the reason says which tool and what to install, the
    /// detail keeps the local path and the system's error for the log.
    private static func cannotRun(
        _ method: SignatureVerdict.Method, _ kind: String, _ commit: CommitID, _ error: any Error
    )
        -> SignatureVerdict
    {
        let unavailable = error as? BoundedTool.Unavailable
        return .untrusted(
            method,
            "cannot verify the \(kind) signature of commit \(commit.short): "
                + (unavailable?.summary ?? "the controller could not prepare the check"),
            detail: unavailable?.message ?? "\(error)")
    }
}

/// What one verification needs: the tool, and the signature and signed payload written to a private
/// scratch directory that the caller removes.
private struct Workspace {
    let tool: BoundedTool
    let scratch: ScratchDirectory
    let signatureFile: String
    let payloadFile: String

    init(_ program: String, package: String, signature: CommitSignature, policy: SignaturePolicy) throws {
        tool = try BoundedTool(program, package: package, timeout: policy.toolTimeout)
        scratch = try ScratchDirectory()
        do {
            signatureFile = try scratch.write("commit.sig", Array(signature.armored.utf8))
            payloadFile = try scratch.write("commit.payload", signature.payload)
        } catch {
            scratch.remove()
            throw error
        }
    }
}
