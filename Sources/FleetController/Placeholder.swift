enum FleetControllerPlaceholder {}
