"""Pages of the duty area."""

urls: list = []
