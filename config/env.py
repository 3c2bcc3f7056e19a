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
    """Read ``name`` as a whole number (surrounding spaces allowed), ``default`` when unset
    or empty. Raises django.core.exceptions.ImproperlyConfigured naming the variable and the
    bad value ("SAFECAMPUS_BACKUP_KEEP must be a whole number, got 'abc'") otherwise, so a
    typo stops every command with one clear line rather than a ValueError traceback."""
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw.strip())
    except ValueError:
        # Imported here: Django's own settings import this module before Django is set up.
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None


def get_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list; blank items are dropped."""
    raw = os.environ.get(name)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]
