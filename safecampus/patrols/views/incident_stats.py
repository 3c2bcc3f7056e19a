"""Pages of the incident_stats area."""

urls: list = []
