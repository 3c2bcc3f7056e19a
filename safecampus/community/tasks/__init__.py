"""Community voice tasks: one module per area, imported here so the task consumer finds them."""

from . import bookings, concerns, surveys  # noqa: F401
