from .helpers import frozen_now, november  # noqa: F401
