import ArgumentParser

/// `gitfleet audit`: questions an auditor asks of the fleet's record (the status annotations in Git).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Answer an auditor's questions from the status annotations in Git.",
        subcommands: [AuditAtCommand.self, AuditExportCommand.self]
    )
}
