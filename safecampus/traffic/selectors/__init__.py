"""Reads of the traffic module, one module per area."""
