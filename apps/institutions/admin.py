from django.contrib import admin

from .models import Institution


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("org_code", "name", "region", "category", "grade", "active")
    list_filter = ("category", "grade", "active", "region")
    search_fields = ("org_code", "name")
    autocomplete_fields = ("region",)
