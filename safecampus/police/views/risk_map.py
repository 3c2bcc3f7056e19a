"""Pages of the police module's risk_map area."""

urls = []
