"""Patrol forms, one module per area (setup, patrolling, grids, duty, incidents)."""
