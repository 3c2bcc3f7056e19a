"""Serializer fields shared by the API modules (hazards, inspections, patrols, duty room)."""

from rest_framework import serializers

from safecampus.core.forms import MAX_ID


class IdField(serializers.IntegerField):
    """The id of a row (campus, unit, category, hazard …): 1 … 2⁶³−1 (a larger number is
    refused here rather than overflowing the database)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)
