"""Pages of the attendance area (filled in by its own work)."""

urls: list = []
