"""Community voice writes: one module per area (concerns, bookings, surveys, open311)."""
