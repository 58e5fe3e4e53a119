enum FleetRegistryPlaceholder {}
