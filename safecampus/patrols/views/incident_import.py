"""Pages of the incident_import area."""

urls: list = []
