from django.contrib import admin

from producers.models import Category, Region
from producers.regions import region_create


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name", "path"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "lineage", "level"]
    fields = ["parent", "code", "name", "level", "path", "lineage"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = region_create(parent=obj.parent, code=obj.code, name=obj.name)
        obj.pk = created.pk


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "parent", "position"]
    search_fields = ["slug", "name"]
