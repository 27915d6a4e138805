from django.contrib import admin
from django.db import models

from insights.models import Claim, Contribution, ContributionEdit, FollowUp, Theme, Vote


class ContributionEditInline(admin.TabularInline):
    model = ContributionEdit
    fields = ("created_at", "editor", "old_text", "new_text")
    readonly_fields = fields
    extra = 0
    can_delete = False


class ClaimInline(admin.TabularInline):
    model = Claim
    fields = ("receiver", "status", "note")
    raw_id_fields = ("receiver",)
    extra = 0


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = ("text", "kind", "status", "workshop", "obstacle", "theme", "created_at")
    list_filter = ("kind", "status", "spotlight", "pinned", "workshop")
    search_fields = ("text", "workshop__code", "author__display_name")
    raw_id_fields = (
        "workshop",
        "author",
        "challenge",
        "obstacle",
        "prompt",
        "theme",
        "merged_into",
    )
    readonly_fields = ("client_key", "created_at", "updated_at")
    inlines = [ContributionEditInline, ClaimInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "workshop", "order")
    search_fields = ("name", "workshop__code")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("contribution", "participant", "dots", "created_at")
    raw_id_fields = ("contribution", "participant")


class FollowUpInline(admin.StackedInline):
    model = FollowUp
    fields = ("created_at", "author", "status", "text", "link")
    raw_id_fields = ("author",)
    extra = 0
    # As on the receiver's form: a bare "example.org" is an https address (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ("contribution", "receiver", "status", "created_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("contribution__text", "receiver__organisation", "note")
    raw_id_fields = ("contribution", "receiver")
    inlines = [FollowUpInline]
