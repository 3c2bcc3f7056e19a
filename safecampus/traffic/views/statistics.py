"""Pages of the statistics area."""

urls: list = []
