"""Community voice pages: reports."""

urls = []
