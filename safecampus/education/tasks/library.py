"""Scheduled jobs of the library area."""
