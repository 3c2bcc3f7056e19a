"""Community voice pages: surveys."""

urls = []
