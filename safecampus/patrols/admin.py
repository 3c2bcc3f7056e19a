"""Admin for configuration only; patrols, grids and the duty log are run from their pages."""

from django.contrib import admin

from .models import Checkpoint, PatrolRoute, PatrolSchedule


class CheckpointInline(admin.TabularInline):
    model = Checkpoint
    fields = ["sequence", "place", "name", "latitude", "longitude", "radius_m", "is_active"]
    raw_id_fields = ["place"]
    extra = 0


@admin.register(PatrolRoute)
class PatrolRouteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "campus", "zone", "is_active"]
    list_filter = ["campus", "is_active"]
    search_fields = ["code", "name"]
    inlines = [CheckpointInline]


@admin.register(PatrolSchedule)
class PatrolScheduleAdmin(admin.ModelAdmin):
    list_display = ["route", "name", "starts_at", "ends_at", "rounds", "window_minutes",
                    "is_active"]
    list_filter = ["is_active"]
    filter_horizontal = ["guards"]
