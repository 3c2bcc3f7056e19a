"""Pages of the library area (filled in by its own work)."""

urls: list = []
