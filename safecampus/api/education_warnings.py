"""API endpoints of the education warnings area (filled in by its own work)."""

routes: list = []
