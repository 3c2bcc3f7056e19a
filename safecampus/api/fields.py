"""Serializer fields shared by the API modules (hazards, inspections, patrols, duty room,
traffic, education)."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from safecampus.core.forms import MAX_ID


class IdField(serializers.IntegerField):
    """The id of a row (campus, unit, category, hazard …): 1 … 2⁶³−1 (a larger number is
    refused here rather than overflowing the database)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class DegreesField(serializers.DecimalField):
    """A WGS-84 coordinate in decimal degrees (6 places, about 0.1 m), optional: ``limit`` 90
    for a latitude, 180 for a longitude; beyond it is refused with the field named."""

    def __init__(self, *, limit: int, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("label", gettext_lazy("Latitude") if limit == 90
                          else gettext_lazy("Longitude"))
        super().__init__(max_digits=9, decimal_places=6, min_value=-limit, max_value=limit,
                         **kwargs)
