"""Pages of the vehicles area."""

urls: list = []
