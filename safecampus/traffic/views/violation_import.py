"""Pages of the violation_import area."""

urls: list = []
