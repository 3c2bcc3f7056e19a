"""API endpoints of the education activities area (filled in by its own work)."""

routes: list = []
