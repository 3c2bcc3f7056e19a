"""Pages of the violations area."""

urls: list = []
