"""Reading the organisation: pickers and lists."""

from .models import Building, Campus, Place, Unit


def place_picker_data() -> dict:
    """Campuses, buildings and places for the cascading place picker (json_script).

    Shape: {"buildings": [[id, campus_id, name], …], "places": [[id, campus_id, building_id|None,
    name], …]}. One query per table; the picker filters in the browser.
    """
    return {
        "buildings": list(Building.objects.order_by("campus_id", "name").values_list(
            "id", "campus_id", "name")),
        "places": list(Place.objects.order_by("campus_id", "building_id", "name").values_list(
            "id", "campus_id", "building_id", "name")),
    }


def campuses():
    return Campus.objects.order_by("sort_order", "id")


def units_active():
    return Unit.objects.filter(is_active=True).order_by("kind", "code")
