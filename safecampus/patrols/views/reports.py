"""Pages of the reports area."""

urls: list = []
