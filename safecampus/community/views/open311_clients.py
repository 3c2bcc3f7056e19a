"""Community voice pages: open311_clients."""

urls = []
