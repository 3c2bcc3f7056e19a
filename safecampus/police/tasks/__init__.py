"""Police module tasks: one module per area, imported here so the task consumer finds them."""

from . import meetings, risks  # noqa: F401
