"""Pages of the checker area (filled in by its own work)."""

urls: list = []
