enum FleetPlannerPlaceholder {}
