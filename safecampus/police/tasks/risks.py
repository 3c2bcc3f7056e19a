"""Periodic tasks of the police module's risks area."""
