from django.contrib import admin

from .models import Delivery, Notification


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ("channel", "state", "attempts", "last_error", "sent_at")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "verb", "created_at", "read_at")
    list_filter = ("verb",)
    inlines = [DeliveryInline]
    list_select_related = ("recipient",)
