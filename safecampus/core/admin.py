from django.contrib import admin

from .models import ActivityEntry, WorkdayOverride


@admin.register(ActivityEntry)
class ActivityEntryAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "verb", "target_type", "target_id", "actor", "to_state")
    list_filter = ("verb",)
    list_select_related = ("actor", "target_type")
    date_hierarchy = "occurred_at"


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working_day", "note")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"
