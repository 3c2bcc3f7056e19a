"""Inspection forms, one module per area (checklists, plans, running)."""
