"""Pages of the police module's partners area."""

urls = []
