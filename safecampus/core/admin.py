from django.contrib import admin

from .models import ActivityEntry


@admin.register(ActivityEntry)
class ActivityEntryAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "verb", "target_type", "target_id", "actor", "to_state")
    list_filter = ("verb",)
    list_select_related = ("actor", "target_type")
    date_hierarchy = "occurred_at"
