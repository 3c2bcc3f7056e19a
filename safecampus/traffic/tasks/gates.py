"""Scheduled work of the traffic module (to be filled)."""

__all__: list[str] = []
