"""Workshops, the people in them (participants with roles), prompts and the moderation log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from labbet import compiled
from workshops.codes import new_token, normalise_code


class Workshop(models.Model):
    class Language(models.TextChoices):
        SV = "sv", _("Swedish")
        EN = "en", _("English")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    class Phase(models.TextChoices):
        # The seed's format, in order.
        JOIN = "join", _("Join")
        CHALLENGE = "challenge", _("The challenge")
        INSIGHTS = "insights", _("Insights")
        SUGGESTIONS = "suggestions", _("Suggestions")
        PRIORITISE = "prioritise", _("Prioritise")
        HANDOVER = "handover", _("Handover")
        CLOSED = "closed", _("Closed")

    class Moderation(models.TextChoices):
        OPEN = "open", _("Open: posts appear at once")
        PRE = "pre", _("Pre-moderated: a labber approves each post")

    class WallLayout(models.TextChoices):
        OBSTACLE = "obstacle", _("By obstacle")
        KIND = "kind", _("Insights and suggestions")
        THEME = "theme", _("By theme")

    class ProjectorTheme(models.TextChoices):
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")
        CONTRAST = "contrast", _("High contrast")

    code = models.CharField(_("join code"), max_length=6, db_index=True)
    question = models.TextField(_("question"))
    event = models.CharField(_("event"), max_length=200, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    closing_words = models.TextField(_("closing words"), blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SV
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    phase = models.CharField(_("phase"), max_length=12, choices=Phase.choices, default=Phase.JOIN)
    current_prompt = models.ForeignKey(
        "workshops.Prompt",
        verbose_name=_("current prompt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    posting_open = models.BooleanField(_("posting open"), default=True)
    moderation = models.CharField(
        _("moderation"), max_length=4, choices=Moderation.choices, default=Moderation.OPEN
    )
    dots_per_person = models.PositiveSmallIntegerField(_("dots per person"), default=3)
    dots_per_suggestion = models.PositiveSmallIntegerField(
        _("dots one person may put on one suggestion"), default=1
    )
    hide_tallies = models.BooleanField(_("hide vote tallies until voting closes"), default=False)
    projector_theme = models.CharField(
        _("projector theme"),
        max_length=8,
        choices=ProjectorTheme.choices,
        default=ProjectorTheme.LIGHT,
    )
    wall_layout = models.CharField(
        _("wall layout"), max_length=8, choices=WallLayout.choices, default=WallLayout.OBSTACLE
    )
    # The projector's wall turns its pages by itself when it holds more than fits; a labber
    # can hold it on the page it shows (to talk about those cards).
    wall_pages_turn = models.BooleanField(_("the wall turns its pages"), default=True)
    voting_open = models.BooleanField(_("voting open"), default=False)
    # Who may vote (issue 18): phones that joined before voting last opened, unless the
    # labbers let later ones in too.
    voting_opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    late_voters = models.BooleanField(
        _("phones that join after voting opens may vote too"), default=False
    )
    projector_opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    report_public = models.BooleanField(_("report is public"), default=False)
    projector_token = models.CharField(
        _("projector link secret"), max_length=64, unique=True, default=new_token, editable=False
    )
    # Countdown: running while timer_ends_at is set; paused keeps timer_remaining.
    timer_duration = models.PositiveIntegerField(_("timer length (s)"), default=0)
    timer_ends_at = models.DateTimeField(null=True, blank=True)
    timer_remaining = models.PositiveIntegerField(null=True, blank=True)
    lock_at_zero = models.BooleanField(_("lock posting when the timer reaches zero"), default=True)
    # The per-workshop cursor of live events; bumped in the same transaction as each event.
    live_seq = models.PositiveBigIntegerField(default=0, editable=False)
    # Moves on every change of its challenges or obstacles (challenges/models.py): a process
    # keeps what it read of them under it (workshops/regions.py: workshop_obstacles).
    challenges_version = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["-date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(status="closed"),
                name="workshop_code_unique_while_open",
                violation_error_message=_("Another open workshop already uses this join code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.question[:60]}"

    def save(self, *args, **kwargs) -> None:
        self.code = normalise_code(self.code)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("workshops:join", args=[self.code])

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def phase_index(self) -> int:
        return list(self.Phase.values).index(self.phase)


class Participant(models.Model):
    """A person in one workshop, with one role. The audience is anonymous and session-bound."""

    class Role(models.TextChoices):
        LABBER = "labber", _("Labber")
        CHALLENGER = "challenger", _("Challenger")
        RECEIVER = "receiver", _("Receiver")
        AUDIENCE = "audience", _("Audience")

    INVITED_ROLES = (Role.LABBER, Role.CHALLENGER, Role.RECEIVER)

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="participants", verbose_name=_("workshop")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    display_name = models.CharField(_("name"), max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=120, blank=True)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
        verbose_name=_("user"),
    )
    invite_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    invite_expires_at = models.DateTimeField(_("invite expires"), null=True, blank=True)
    invite_revoked_at = models.DateTimeField(_("invite revoked"), null=True, blank=True)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    email = models.EmailField(_("email for updates"), blank=True)
    # Set by the unsubscribe link: no more automatic emails (notices, reminders) to this person.
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    name_consent = models.BooleanField(_("may be named in the report"), default=False)
    muted = models.BooleanField(_("muted"), default=False)
    # The network the phone joined from, as a keyed hash (labbet.addresses.network_of): enough to
    # count one address's posts and dots and to see many new phones from one network, never
    # the address itself.
    network = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["workshop", "role", "display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "user", "role"],
                condition=Q(user__isnull=False),
                name="participant_one_role_per_user",
            ),
        ]
        # The room's "joined" counter is read on every post: counted from this index alone.
        indexes = [models.Index(fields=["workshop", "role"], name="participant_counts")]

    def __str__(self) -> str:
        name = self.display_name or _("Anonymous")
        return f"{name} ({self.get_role_display()})"

    @property
    def is_labber(self) -> bool:
        return self.role == self.Role.LABBER

    @property
    def is_receiver(self) -> bool:
        return self.role == self.Role.RECEIVER

    def invite_is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        if not self.invite_token or self.invite_revoked_at:
            return False
        return self.invite_expires_at is None or self.invite_expires_at > now


class Prompt(models.Model):
    """A labber's question put to the room on the projector and the phones."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="prompts")
    text = models.CharField(_("prompt"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text


class LogEntry(models.Model):
    """The moderation log: who did what, when; the basis of undo."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="log")
    actor = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    contribution = models.ForeignKey(
        "insights.Contribution", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%H:%M:%S} {self.action}"


def locked_workshop(workshop: Workshop | int) -> Workshop:
    """The workshop's row (a workshop or its pk), locked to the end of the transaction: the
    room's changes are made one at a time; every action takes the lock through here. FOR NO KEY
    UPDATE, not FOR UPDATE: the latter also blocks the foreign-key check of every row that
    points at the workshop, so every join and post of the room would queue behind one post's
    commit (PostgreSQL; SQLite has one writer anyway)."""
    pk = workshop if isinstance(workshop, int) else workshop.pk
    # By a statement compiled once (labbet/compiled.py): every post and move takes this lock.
    found = compiled.rows(
        Workshop,
        "locked",
        lambda values: Workshop.objects.select_for_update(no_key=True).filter(pk=values[0]),
        [pk],
    )
    if not found:
        raise Workshop.DoesNotExist(f"workshop {pk} is gone")
    locked = found[0]
    if isinstance(workshop, int):
        return locked
    if "_obstacles" in workshop.__dict__:  # what this request already read (workshops/regions)
        locked.__dict__["_obstacles"] = workshop.__dict__["_obstacles"]
    return locked
