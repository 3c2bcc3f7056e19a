"""Pages of the police module's meetings area."""

urls = []
