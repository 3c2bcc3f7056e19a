"""Scheduled jobs of the warnings area."""
