"""Reads of the patrols module, one module per area (``setup``, ``rounds``, ``reports``,
``grids``, ``duty``, ``incidents``). Every list, export and API goes through these."""
