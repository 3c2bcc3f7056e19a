"""Scheduled traffic work; each area keeps its periodic tasks in its own module."""

from .abandoned import *  # noqa: F403
from .gates import *  # noqa: F403
from .posts import *  # noqa: F403
