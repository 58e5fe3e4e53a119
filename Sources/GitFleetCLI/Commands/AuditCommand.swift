import ArgumentParser

/// `gitfleet audit`: answers for auditors from the deployment record in Git (docs/auditing.md).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and query the deployment record the controller keeps in Git notes.",
        subcommands: [AuditVerifyCommand.self]
    )
}
