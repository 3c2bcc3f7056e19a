"""Periodic tasks of the police module's meetings area."""
