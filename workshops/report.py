"""The workshop as one plain data structure: gathered here once, and only here.

The HTML report, the Markdown, the CSV, the JSON and the PDF are all renderings of what
`build_export` returns (`workshops.report_sections.Report` regroups it for reading), and
`import_workshop` writes the same structure back. Its shape is documented in
`workshops/schema/workshop-export.schema.json`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone

from challenges.models import Challenge
from insights.models import Claim, Contribution, FollowUp, Vote
from workshops.models import LogEntry, Participant, Workshop, locked_workshop

SCHEMA_VERSION = 1
WORKSHOP_FIELDS = (
    "code",
    "question",
    "event",
    "date",
    "place",
    "organiser",
    "description",
    "closing_words",
    "language",
    "status",
    "phase",
    "moderation",
    "dots_per_person",
    "dots_per_suggestion",
    "hide_tallies",
    "wall_layout",
    "report_public",
    "created_at",
)

Data = dict[str, Any]
RefFor = Callable[[Any], str | None]


def shown_name(person: Participant | None) -> str | None:
    """A name the report may print: invited people speak in public; the room only by consent."""
    if person is None or not person.display_name:
        return None
    if person.role in Participant.INVITED_ROLES or person.name_consent:
        return person.display_name
    return None


def author_name(person: Participant | None) -> str | None:
    """Whoever wrote a contribution is anonymous unless they agreed to be named, whatever
    their role: a receiver's idea from the floor is not a statement of their organisation."""
    if person is None or not person.name_consent:
        return None
    return person.display_name or None


def participant_data(person: Participant, ref: str | None = None) -> Data:
    return {
        "id": ref,
        "role": person.role,
        "name": shown_name(person),
        "title": person.title,
        "organisation": person.organisation,
        "name_consent": person.name_consent,
    }


def claim_data(claim: Claim, ref_for: RefFor) -> Data:
    return {
        "receiver": ref_for(claim.receiver),
        "status": claim.status,
        "note": claim.note,
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
        "follow_ups": [
            {
                "author": ref_for(f.author),
                "status": f.status,
                "text": f.text,
                "link": f.link,
                "created_at": f.created_at,
            }
            for f in claim.follow_ups.all()
        ],
    }


def claims_prefetch(queryset=None) -> Prefetch:
    follow_ups = FollowUp.objects.select_related("author").order_by("created_at", "id")
    return Prefetch(
        "claims",
        queryset=(queryset or Claim.objects.all())
        .select_related("receiver")
        .prefetch_related(Prefetch("follow_ups", queryset=follow_ups))
        .order_by("created_at", "id"),
    )


def tallies_hidden(workshop: Workshop) -> bool:
    # While a secret ballot runs, even the report must not give the standings away.
    return workshop.hide_tallies and workshop.voting_open


def _refs(objects, prefix: str) -> dict[int, str]:
    return {obj.pk: f"{prefix}{i}" for i, obj in enumerate(objects, start=1)}


def build_export(workshop: Workshop, *, complete: bool = False) -> Data:
    """The workshop as plain data. Without `complete`, what the report shows: visible, unmerged
    contributions, and only the people the report may name. With it, everything a backup needs
    (hidden and pending contributions flagged, merges, each participant's dots)."""
    queryset = Contribution.objects.filter(workshop=workshop)
    if not complete:
        queryset = queryset.filter(status=Contribution.Status.VISIBLE, merged_into__isnull=True)
    contributions = list(
        queryset.select_related("author")
        .annotate(total_dots=Sum("votes__dots"))
        .prefetch_related(claims_prefetch())
        .order_by("created_at", "id")
    )
    people = list(workshop.participants.order_by("pk"))
    if not complete:
        named_authors = {c.author_id for c in contributions if author_name(c.author)}
        receivers = {claim.receiver_id for c in contributions for claim in c.claims.all()}
        people = [
            p
            for p in people
            if p.role in Participant.INVITED_ROLES or p.pk in named_authors | receivers
        ]
    challenges = list(
        Challenge.objects.filter(workshop=workshop)
        .select_related("challenger")
        .prefetch_related("obstacles", "follow_ups")
        .order_by("order", "id")
    )
    obstacles = [o for ch in challenges for o in ch.obstacles.all()]
    themes = list(workshop.themes.order_by("order", "id"))
    prompts = list(workshop.prompts.order_by("created_at", "id"))

    refs = {
        "p": _refs(people, "p"),
        "ch": _refs(challenges, "ch"),
        "o": _refs(obstacles, "o"),
        "t": _refs(themes, "t"),
        "q": _refs(prompts, "q"),
        "c": _refs(contributions, "c"),
    }

    def person_ref(person: Participant | None) -> str | None:
        return refs["p"].get(person.pk) if person is not None else None

    def author_ref(person: Participant | None) -> str | None:
        # A backup keeps who wrote what; the report does not link a post to an unnamed person.
        return person_ref(person) if complete or author_name(person) else None

    hide_votes = tallies_hidden(workshop) and not complete
    ballots: dict[int, list[Data]] = {}
    if complete:
        for vote in Vote.objects.filter(contribution__workshop=workshop).order_by("pk"):
            ballots.setdefault(vote.contribution_id, []).append(
                {"participant": refs["p"][vote.participant_id], "dots": vote.dots}
            )

    def contribution(c: Contribution) -> Data:
        item = {
            "id": refs["c"][c.pk],
            "kind": c.kind,
            "text": c.text,
            "status": c.status,
            "author": author_ref(c.author),
            "author_name": author_name(c.author),
            "challenge": refs["ch"].get(c.challenge_id),
            "obstacle": refs["o"].get(c.obstacle_id),
            "theme": refs["t"].get(c.theme_id),
            "prompt": refs["q"].get(c.prompt_id),
            "spotlight": c.spotlight,
            "pinned": c.pinned,
            "merged_into": refs["c"].get(c.merged_into_id),
            "created_at": c.created_at,
            "votes": None if hide_votes else (c.total_dots or 0),
            "claims": [claim_data(claim, person_ref) for claim in c.claims.all()],
        }
        if complete:
            item["ballots"] = ballots.get(c.pk, [])
        return item

    return {
        "schema_version": SCHEMA_VERSION,
        "generator": "Labbet",
        "exported_at": timezone.now(),
        "complete": complete,
        "workshop": {name: getattr(workshop, name) for name in WORKSHOP_FIELDS},
        "participants": [participant_data(p, refs["p"][p.pk]) for p in people],
        "challenges": [
            {
                "id": refs["ch"][ch.pk],
                "title": ch.title,
                "description": ch.description,
                "challenger": person_ref(ch.challenger),
                "obstacles": [{"id": refs["o"][o.pk], "text": o.text} for o in ch.obstacles.all()],
                "follow_ups": [
                    {
                        "text": f.text,
                        "link": f.link,
                        "author": refs["p"].get(f.author_id),
                        "created_at": f.created_at,
                    }
                    for f in ch.follow_ups.all()
                ],
            }
            for ch in challenges
        ],
        "themes": [{"id": refs["t"][t.pk], "name": t.name} for t in themes],
        "prompts": [
            {"id": refs["q"][q.pk], "text": q.text, "created_at": q.created_at} for q in prompts
        ],
        "contributions": [contribution(c) for c in contributions],
    }


@transaction.atomic
def set_report_public(workshop: Workshop, public: bool, actor: Participant | None) -> Workshop:
    """A labber publishes the report (or takes it back); kept in the moderation log."""
    workshop = locked_workshop(workshop.pk)
    if workshop.report_public != public:
        workshop.report_public = public
        workshop.save(update_fields=["report_public"])
        LogEntry.objects.create(
            workshop=workshop,
            actor=actor,
            action="report:public" if public else "report:private",
            data={"report_public": public},
        )
    return workshop
