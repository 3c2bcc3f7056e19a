"""Pages under /traffic/, one module per area: vehicles and permits, violations (with
notices, appeals and repeat offenders), imports and statistics."""
