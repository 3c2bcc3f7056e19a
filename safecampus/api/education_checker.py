"""API endpoints of the education checker area (filled in by its own work)."""

routes: list = []
