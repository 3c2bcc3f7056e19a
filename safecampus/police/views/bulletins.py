"""Pages of the police module's bulletins area."""

urls = []
