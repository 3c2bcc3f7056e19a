"""Writes of the patrols module (house rules 1–4), one module per area:

- ``patrolling``: checkpoint codes, shifts and rounds, scans, the missed-checkpoint sweep.
- ``setup``: routes, checkpoints and schedules (the office).
- ``grids``: grid officers' visits.
- ``duty``: the duty room's shifts, log entries, handover, incidents.
- ``incident_import``: importing older incident logs with a column mapping.
"""
