from django.contrib import admin

from .models import ReportSchedule, SafetyReport


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "campus", "send_day", "active")
    list_filter = ("kind", "active", "campus")
    filter_horizontal = ("recipients",)


@admin.register(SafetyReport)
class SafetyReportAdmin(admin.ModelAdmin):
    list_display = ("period_key", "kind", "campus", "state", "progress", "is_empty",
                    "generated_at")
    list_filter = ("kind", "state", "campus")
    readonly_fields = [f.name for f in SafetyReport._meta.fields]

    def has_add_permission(self, request):
        return False
