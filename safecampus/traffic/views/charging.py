"""Pages of the traffic module (to be filled)."""

urls: list = []
