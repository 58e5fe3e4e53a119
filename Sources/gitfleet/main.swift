import GitFleetCLI

// All behaviour lives in GitFleetCLI, where tests can reach it.
await GitFleetCommand.main(arguments: GitFleetCommand.processArguments)
