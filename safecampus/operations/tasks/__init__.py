"""Operations tasks: one module per area, imported here so the task consumer finds them."""

from . import backup, health  # noqa: F401
