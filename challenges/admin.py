from django.contrib import admin

from challenges.models import Challenge, Obstacle


class ObstacleInline(admin.TabularInline):
    model = Obstacle
    fields = ("order", "text")
    extra = 1


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ("title", "workshop", "challenger", "order")
    search_fields = ("title", "description", "workshop__code", "obstacles__text")
    list_filter = ("workshop",)
    raw_id_fields = ("workshop", "challenger")
    inlines = [ObstacleInline]
