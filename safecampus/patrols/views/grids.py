"""Pages of the grids area."""

urls: list = []
