"""Admin (configuration only) of the activities area: terms, partners, campaigns, and a
read-only view of activities. Activities are planned, held and cancelled on the pages (their
state machine is protected), never in the admin."""

from django.contrib import admin

from .models import Activity, ActivityMaterial, Campaign, Partner, Term


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on")
    ordering = ("-starts_on",)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "contact", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("title", "topic", "term", "starts_on", "ends_on")
    list_filter = ("topic", "term")
    list_select_related = ("term",)
    search_fields = ("title",)
    readonly_fields = ("created_by",)


class MaterialInline(admin.TabularInline):
    model = ActivityMaterial
    extra = 0
    can_delete = False
    readonly_fields = ("name", "quantity", "unit_label")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "topic", "state", "starts_at", "campus", "audience_count")
    list_filter = ("state", "topic", "kind", "campus")
    list_select_related = ("campus",)
    search_fields = ("title", "location")
    date_hierarchy = "starts_at"
    inlines = [MaterialInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
