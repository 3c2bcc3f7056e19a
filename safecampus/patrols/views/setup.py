"""Pages of the setup area."""

urls: list = []
