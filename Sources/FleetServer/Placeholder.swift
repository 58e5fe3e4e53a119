enum FleetServerPlaceholder {}
