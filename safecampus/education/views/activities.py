"""Pages of the activities area (filled in by its own work)."""

urls: list = []
