"""Scheduled jobs of the attendance area."""
