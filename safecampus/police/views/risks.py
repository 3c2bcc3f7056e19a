"""Pages of the police module's risks area."""

urls = []
