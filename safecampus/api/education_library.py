"""API endpoints of the education library area (filled in by its own work)."""

routes: list = []
