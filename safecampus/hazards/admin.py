from django.contrib import admin

from .models import Hazard, HazardCategory, RectificationNotice, RoutingRule


@admin.register(HazardCategory)
class HazardCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "code", "sort_order", "is_active")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "campus", "unit")


@admin.register(Hazard)
class HazardAdmin(admin.ModelAdmin):
    """Read-only in the admin: hazards change only through the services (the pages/API)."""

    list_display = ("id", "title", "category", "status", "campus", "responsible_unit",
                    "reported_at", "deadline")
    list_filter = ("status", "grade", "campus", "category", "source")
    search_fields = ("title", "description")
    date_hierarchy = "reported_at"
    list_select_related = ("category", "campus", "responsible_unit")
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(RectificationNotice)
class RectificationNoticeAdmin(admin.ModelAdmin):
    list_display = ("number", "unit", "state", "issued_at", "deadline")
    list_filter = ("state",)
    list_select_related = ("unit",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
