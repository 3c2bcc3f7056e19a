"""Scheduled jobs of the activities area."""
