"""Admin (configuration only) of the education module. Everything with a state machine or a
confidentiality rule (activities, fraud reports, follow-ups, checker rule sets) is handled on
the module's own pages, where the services check permissions and write the timeline."""

from django.contrib import admin

from . import admin_activities  # noqa: F401  (registers terms, partners, campaigns)
from .models import FraudType, QuestionBank


@admin.register(FraudType)
class FraudTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "position", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("name", "code")
    ordering = ("position", "code")


@admin.register(QuestionBank)
class QuestionBankAdmin(admin.ModelAdmin):
    list_display = ("name", "topic", "source", "created_at")
    list_filter = ("topic",)
    search_fields = ("name",)
    readonly_fields = ("source_sha256", "created_by")
