from django.contrib import admin

from live.models import LiveEvent


@admin.register(LiveEvent)
class LiveEventAdmin(admin.ModelAdmin):
    list_display = ("workshop", "seq", "kind", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("workshop",)
