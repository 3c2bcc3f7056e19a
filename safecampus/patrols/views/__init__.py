"""Pages under /patrols/, one module per area: setting routes up, patrolling on a phone,
patrol reports, grids, the duty room and incidents. Views are thin (house rule 5)."""
