"""Admin for configuration only: checklists and plans are edited on the pages, results never."""

from django.contrib import admin

from .models import ChecklistTemplate, ChecklistVersion, Inspection, InspectionPlan


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    list_display = ["template", "number", "state", "published_at"]
    list_filter = ["state"]
    readonly_fields = ["template", "number", "state", "published_at", "published_by"]


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "starts_on", "ends_on", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["name"]


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["id", "place", "inspector", "state", "started_at", "finished_at"]
    list_filter = ["state", "kind"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
