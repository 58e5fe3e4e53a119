enum GitFleetTestingPlaceholder {}
