import FleetGit
import FleetModel
import FleetSecrets

/// Resolves a fleet's secret references against the sealed files of a commit (`secrets/<name>.age` under the
/// fleet's root): each reference gets the file's object id and, with a keyring, the keyed digest of its value.
///
/// A reference whose file is missing, or (with a keyring) does not open, is a ``ManifestIssue`` located at
/// the reference in the manifest, so the commit is rejected like any invalid manifest and the fleet keeps
/// running as it was. Without a keyring (`gitfleet validate` on a developer's machine) only presence is
/// checked, unless the secrets are `required` (a controller, `apply`): then every reference is an issue, since
/// no instance of the spec could start. Digests are remembered by object id: a sealed file is opened once, not
/// on every load.
struct SealedSecrets {
    /// The largest sealed file read; a secret is a password or a key, not a payload.
    static let maxFileSize = 1 << 20

    let keyring: SecretKeyring?
    let required: Bool
    private var digests: [String: Result<String, AgeError>] = [:]

    init(keyring: SecretKeyring?, required: Bool = false) {
        self.keyring = keyring
        self.required = required
    }

    /// The folder of sealed files at a layout's root.
    static func directory(in layout: FleetLayout) -> String {
        layout.root.isEmpty ? SecretReference.directory : "\(layout.root)/\(SecretReference.directory)"
    }

    mutating func resolve(_ fleet: inout Fleet, at commit: CommitID, in repository: GitRepository, layout: FleetLayout)
        throws
    {
        guard fleet.services.contains(where: { !$0.secretReferences.isEmpty }) else { return }
        let directory = Self.directory(in: layout)
        var files: [String: TreeFile] = [:]
        do {
            for file in try repository.files(at: commit, under: directory, sizes: false) {
                files[file.path] = file
            }
        } catch let error as GitError where error.code == .notFound {
            files = [:]
        }
        var issues: [ManifestIssue] = []
        for index in fleet.services.indices {
            try fleet.services[index].updateSecretReferences { reference in
                let path =
                    layout.root.isEmpty
                    ? SecretReference.path(of: reference.name)
                    : "\(layout.root)/\(SecretReference.path(of: reference.name))"
                let location = reference.location ?? SourceLocation(file: path)
                guard let file = files[path], file.kind == .regular || file.kind == .executable else {
                    issues.append(
                        ManifestIssue(
                            location: location, fieldPath: "",
                            message: "secret \(reference.name) is missing: no \(path) at commit \(commit.short)",
                            expected: "a file sealed with `gitfleet secret seal \(reference.name)`"))
                    return
                }
                reference.object = file.blobID
                guard let keyring else {
                    if required {
                        issues.append(
                            ManifestIssue(
                                location: location, fieldPath: "",
                                message: "secret \(reference.name) cannot be opened: no age identity is configured",
                                expected: "the secretIdentityFile setting (--secret-identity-file) naming the "
                                    + "identity file of one of the fleet's recipients"))
                    }
                    return
                }
                let digest: Result<String, AgeError>
                if let known = digests[file.blobID] {
                    digest = known
                } else {
                    let sealed = try repository.blob(file.blobID, maxSize: Self.maxFileSize)
                    digest = Result { () throws(AgeError) in keyring.digest(of: try keyring.open(sealed)) }
                    digests[file.blobID] = digest
                }
                switch digest {
                case .success(let value):
                    reference.digest = value
                case .failure(let error):
                    issues.append(
                        ManifestIssue(
                            location: location, fieldPath: "",
                            message: "secret \(reference.name) (\(path)) cannot be decrypted: \(error.description)",
                            expected: "a file sealed for the fleet's recipients, including this controller's"))
                }
            }
        }
        guard issues.isEmpty else {
            var seen: Set<ManifestIssue> = []
            throw ManifestError(issues: issues.filter { seen.insert($0).inserted })
        }
    }
}
