"""Writes of the traffic module, one module per area (``vehicles``, ``violations``,
``violation_import``)."""
