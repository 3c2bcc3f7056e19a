from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("unit", "zone", "campus")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "full_name", "email", "phone", "is_active")
    search_fields = ("username", "full_name", "email", "phone")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("SafeCampus", {"fields": ("full_name", "phone", "employee_number")}),
    )
