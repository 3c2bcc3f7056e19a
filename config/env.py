"""Typed access to the environment variables that configure SafeCampus.

Every setting that differs between a laptop demo, CI and a production server is read here
and nowhere else, so that `grep env.` shows the whole surface.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def get(name: str, default: str = "") -> str:
    """Return the environment variable ``name`` or ``default`` when unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def get_bool(name: str, default: bool = False) -> bool:
    """Read ``name`` as a boolean: 1/true/yes/on are true (case-insensitive)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def get_int(name: str, default: int) -> int:
    """Read ``name`` as an integer; raises ValueError on a malformed value."""
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def get_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list; blank items are dropped."""
    raw = os.environ.get(name)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]
