"""Admin of the activities area: read-only views of terms, partners, campaigns and
activities. Terms, partners and campaigns are added and edited on the education pages
(/education/terms/, /education/partners/, /education/campaigns/), whose services check
overlaps, unique names and dates and write the timeline; activities are planned, held and
cancelled there too (their state machine is protected). The admin never writes them."""

from django.contrib import admin

from .models import Activity, ActivityMaterial, Campaign, Partner, Term


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows rows; adding, changing and deleting happen on the module's pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Term)
class TermAdmin(ReadOnlyAdmin):
    list_display = ("name", "starts_on", "ends_on")
    ordering = ("-starts_on",)


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "contact", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
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
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "topic", "state", "starts_at", "campus", "audience_count")
    list_filter = ("state", "topic", "kind", "campus")
    list_select_related = ("campus",)
    search_fields = ("title", "location")
    date_hierarchy = "starts_at"
    inlines = [MaterialInline]
