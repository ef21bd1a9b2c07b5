from django.contrib import admin

from mentorship.tenancy.models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Operators create organizations here; everything inside one is managed in the product by its org admins."""

    list_display = ["name", "slug", "min_group_size", "require_mfa", "created_at"]
    list_filter = ["require_mfa"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
