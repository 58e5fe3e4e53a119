enum FleetGitPlaceholder {}
