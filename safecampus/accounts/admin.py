from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Affiliation, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("unit", "zone", "campus")


class AffiliationInline(admin.StackedInline):
    model = Affiliation
    extra = 0
    autocomplete_fields = ("campus", "college", "dormitory")
    raw_id_fields = ("class_group",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline, AffiliationInline]
    list_display = ("username", "full_name", "email", "phone", "is_active")
    search_fields = ("username", "full_name", "email", "phone")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("SafeCampus", {"fields": ("full_name", "phone", "employee_number", "cas_linked")}),
    )
