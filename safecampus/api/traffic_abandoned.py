"""REST endpoints of the traffic module (to be filled).

``routes``: ``(prefix under /api/, viewset, basename)`` registered by ``api/urls.py``.
"""

routes: list = []
