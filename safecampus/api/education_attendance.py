"""API endpoints of the education attendance area (filled in by its own work)."""

routes: list = []
