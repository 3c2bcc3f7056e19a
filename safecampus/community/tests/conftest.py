"""The community tests' fixtures (see :mod:`.helpers`)."""

from .helpers import community, english  # noqa: F401
