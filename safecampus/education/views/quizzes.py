"""Pages of the quizzes area (filled in by its own work)."""

urls: list = []
