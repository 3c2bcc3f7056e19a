"""The admin for community voice: configuration only. Services and their booking form
fields, concern categories and their questions (Open311 attributes) are set up here;
surveys and Open311 clients are listed read-only (they change through their pages)."""

from django.contrib import admin

from .models import ApiClient, CategoryAttribute, ConcernCategory, ServiceField, ServiceItem, Survey


class ServiceFieldInline(admin.TabularInline):
    model = ServiceField
    extra = 0
    fields = ("position", "code", "label", "kind", "required", "options", "min_value",
              "max_value", "help_text")


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "lead_days", "lead_in_workdays", "sla_hours",
                    "daily_capacity", "sort_order", "is_active")
    list_filter = ("is_active", "lead_in_workdays")
    search_fields = ("name", "name_en", "code")
    inlines = [ServiceFieldInline]


class CategoryAttributeInline(admin.TabularInline):
    model = CategoryAttribute
    extra = 0
    fields = ("order", "code", "description", "datatype", "required", "variable", "values")


@admin.register(ConcernCategory)
class ConcernCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "hazard_category", "answer_days", "sort_order",
                    "is_active")
    list_filter = ("is_active", "group")
    search_fields = ("name", "name_en", "code", "keywords")
    list_select_related = ("hazard_category",)
    inlines = [CategoryAttributeInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed for reference; written only through the module's pages and services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ("title", "state", "is_anonymous", "sent_at", "closes_at",
                    "recipient_count", "response_count")
    list_filter = ("state", "is_anonymous")
    search_fields = ("title",)
    show_full_result_count = False


@admin.register(ApiClient)
class ApiClientAdmin(ReadOnlyAdmin):
    list_display = ("name", "key_prefix", "is_active", "created_at", "last_used_at",
                    "revoked_at")
    list_filter = ("is_active",)
    search_fields = ("name", "contact")
    exclude = ("key_hash",)
