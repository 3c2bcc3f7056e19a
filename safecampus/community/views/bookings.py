"""Community voice pages: bookings."""

urls = []
