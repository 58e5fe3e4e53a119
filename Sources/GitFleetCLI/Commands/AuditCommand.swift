import ArgumentParser

/// `gitfleet audit`: questions an auditor asks of the fleet's record (the status annotations in Git): whether it
/// is the controllers' and whole, what ran at a moment, and every event in a range (docs/auditing.md).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the deployment record in Git notes and answer an auditor's questions from it.",
        subcommands: [AuditVerifyCommand.self, AuditAtCommand.self, AuditExportCommand.self]
    )
}
