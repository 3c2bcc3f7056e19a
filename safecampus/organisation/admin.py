from django.contrib import admin

from .models import Building, Campus, ClassGroup, Place, Unit, Zone


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")
    search_fields = ("name", "code")


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "campus")
    list_filter = ("campus",)
    search_fields = ("name", "code")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "campus", "zone", "unit")
    list_filter = ("campus",)
    search_fields = ("name", "code")
    list_select_related = ("campus", "zone", "unit")


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "campus", "building", "kind", "unit", "risk_level")
    list_filter = ("campus", "kind", "risk_level")
    search_fields = ("name", "code")
    list_select_related = ("campus", "building", "unit")


@admin.register(ClassGroup)
class ClassGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "college", "enrolment_year", "campus", "is_active")
    list_filter = ("enrolment_year", "campus", "is_active")
    list_select_related = ("college", "campus")
    search_fields = ("name", "code")
