"""API endpoints of the education quizzes area (filled in by its own work)."""

routes: list = []
