"""Pages of the warnings area (filled in by its own work)."""

urls: list = []
