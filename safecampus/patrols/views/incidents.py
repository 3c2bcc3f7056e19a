"""Pages of the incidents area."""

urls: list = []
