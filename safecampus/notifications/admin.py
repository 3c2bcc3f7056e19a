from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Delivery, Digest, GroupRobot, Notification, NotificationPreference, RobotMessage


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ("channel", "state", "attempts", "next_attempt_at", "last_error",
                       "sent_at", "reference", "digest")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Notifications about an anonymous report (``private``) show neither the recipient nor
    the text: in the list "Anonymous reporter" and no title; the change page leaves out
    recipient, title, body and link and cannot be searched or filtered by them."""

    list_display = ("shown_title", "shown_recipient", "verb", "created_at", "read_at")
    list_filter = ("verb",)
    inlines = [DeliveryInline]
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "alert")
    HIDDEN = ("recipient", "title", "body", "url", "dedupe_key")

    @admin.display(description=_("title"))
    def shown_title(self, obj) -> str:
        return "—" if obj.private else obj.title

    @admin.display(description=_("recipient"))
    def shown_recipient(self, obj) -> str:
        return _("Anonymous reporter") if obj.private else str(obj.recipient)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.private:
            fields = ["shown_recipient", *[f for f in fields if f not in self.HIDDEN]]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.private:
            return ["shown_recipient", "private"]
        return super().get_readonly_fields(request, obj)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email_enabled", "sms_enabled", "digest", "quiet_start", "quiet_end")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(GroupRobot)
class GroupRobotAdmin(admin.ModelAdmin):
    """The webhook URL and secret are shown masked and only replaced, never displayed."""

    list_display = ("name", "kind", "shown_url", "campus", "active")
    exclude = ("webhook_url", "secret")
    readonly_fields = ("shown_url",)

    @admin.display(description=_("webhook URL"))
    def shown_url(self, obj) -> str:
        return obj.masked_url

    def has_add_permission(self, request) -> bool:
        return False  # added on the office's group robot page, which checks the address
    list_filter = ("kind", "active")


@admin.register(RobotMessage)
class RobotMessageAdmin(admin.ModelAdmin):
    list_display = ("title", "robot", "topic", "state", "attempts", "created_at")
    list_filter = ("state", "topic")
    list_select_related = ("robot",)
    readonly_fields = ("response", "last_error")


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("user", "day", "items", "state", "attempts")
    list_filter = ("state",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
