"""Community voice reads: one module per area (concerns, bookings, surveys, reports)."""
