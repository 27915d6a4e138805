from django.contrib import admin

from challenges.models import Challenge
from workshops.models import LogEntry, Participant, Prompt, Workshop


class ParticipantInline(admin.TabularInline):
    model = Participant
    fields = ("role", "display_name", "title", "organisation", "user", "muted")
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        # The audience of a large room would drown the page; they have their own list.
        return super().get_queryset(request).exclude(role=Participant.Role.AUDIENCE)


class ChallengeInline(admin.StackedInline):
    model = Challenge
    fields = ("title", "challenger", "description", "order")
    extra = 0
    show_change_link = True


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ("code", "question", "event", "date", "status", "phase", "language")
    list_filter = ("status", "phase", "language", "moderation")
    search_fields = ("code", "question", "event", "place")
    date_hierarchy = "date"
    readonly_fields = ("projector_token", "live_seq", "created_at")
    inlines = [ChallengeInline, ParticipantInline]
    fieldsets = (
        (None, {"fields": ("code", "question", "event", "date", "place", "organiser", "language")}),
        ("Text", {"fields": ("description", "closing_words")}),
        (
            "Running the room",
            {
                "fields": (
                    "status",
                    "phase",
                    "posting_open",
                    "moderation",
                    "dots_per_person",
                    "dots_per_suggestion",
                    "hide_tallies",
                    "projector_theme",
                    "lock_at_zero",
                )
            },
        ),
        (
            "Internals",
            {
                "classes": ("collapse",),
                "fields": ("projector_token", "live_seq", "created_by", "created_at"),
            },
        ),
    )


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("__str__", "workshop", "role", "organisation", "muted", "created_at")
    list_filter = ("role", "muted", "workshop")
    search_fields = ("display_name", "organisation", "title", "email", "workshop__code")
    raw_id_fields = ("workshop", "user")
    readonly_fields = ("invite_token", "session_key", "created_at", "last_seen_at")


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ("text", "workshop", "created_at")
    search_fields = ("text", "workshop__code")
    list_filter = ("workshop",)


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "workshop", "actor", "action", "undone_at")
    list_filter = ("action", "workshop")
    search_fields = ("action", "workshop__code")
    raw_id_fields = ("workshop", "actor", "contribution")
