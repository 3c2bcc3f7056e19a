"""Scheduled jobs of the checker area."""
