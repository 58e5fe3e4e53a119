enum FleetRuntimePlaceholder {}
