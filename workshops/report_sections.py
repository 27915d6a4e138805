"""The report's sections — who was there, what the room said, grouped, who took what forward,
the thanks — regrouped from the export data of `workshops.report`, never from the database,
so that the page, the PDF and the Markdown say the same."""

from __future__ import annotations

from functools import cached_property

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights.models import Claim, Contribution
from workshops.models import Participant, Workshop
from workshops.report import Data, build_export


def status_label(status: str) -> str:
    return str(Claim.Status(status).label) if status in Claim.Status.values else status


def person_view(person: Data | None) -> Data:
    """A person as the report prints them: "Name, title, organisation"."""
    person = person or {"name": None, "title": "", "organisation": ""}
    parts = (person["name"], person["title"], person["organisation"])
    return {**person, "line": ", ".join(part for part in parts if part)}


def claim_view(claim: Data, receiver: Data | None) -> Data:
    """A claim as the page shows it: the receiver in person, its story as a timeline (taken,
    then each follow-up), and the latest news."""
    follow_ups = [{**f, "status_label": status_label(f["status"])} for f in claim["follow_ups"]]
    taken = {"status_label": status_label(Claim.Status.CLAIMED), "created_at": claim["created_at"]}
    return {
        **claim,
        "receiver": person_view(receiver),
        "status_label": status_label(claim["status"]),
        "follow_ups": follow_ups,
        "timeline": [taken, *follow_ups],
        "latest": follow_ups[-1] if follow_ups else None,
    }


class Report:
    """The report's sections, regrouped from the export data (never from the database)."""

    def __init__(self, data: Data, url: str = "") -> None:
        self.data = data
        self.url = url
        self.workshop = data["workshop"]
        self.people = {p["id"]: person_view(p) for p in data["participants"]}
        self.obstacles: dict[str, Data] = {}
        for challenge in data["challenges"]:
            for obstacle in challenge["obstacles"]:
                self.obstacles[obstacle["id"]] = {
                    **obstacle,
                    "number": len(self.obstacles) + 1,
                }
        self.themes = {t["id"]: t for t in data["themes"]}

    @classmethod
    def for_workshop(cls, workshop: Workshop, url: str = "") -> Report:
        return cls(build_export(workshop), url)

    @cached_property
    def contributions(self) -> list[Data]:
        return [self._item(c) for c in self.data["contributions"]]

    def _item(self, c: Data) -> Data:
        obstacle = self.obstacles.get(c["obstacle"] or "")
        theme = self.themes.get(c["theme"] or "")
        claims = [claim_view(cl, self.people.get(cl["receiver"])) for cl in c["claims"]]
        return {
            **c,
            "kind_label": str(Contribution.Kind(c["kind"]).label),
            "obstacle_text": obstacle["text"] if obstacle else "",
            "obstacle_number": obstacle["number"] if obstacle else None,
            "theme_name": theme["name"] if theme else "",
            "claims": claims,
            "taken_by": [
                cl["receiver"].get("organisation") or cl["receiver"].get("name") for cl in claims
            ],
        }

    def role(self, role: str) -> list[Data]:
        return [p for p in self.people.values() if p["role"] == role]

    @cached_property
    def receivers(self) -> list[Data]:
        return self.role(Participant.Role.RECEIVER)

    @cached_property
    def challenges(self) -> list[Data]:
        return [
            {
                **ch,
                "challenger": self.people.get(ch["challenger"] or ""),
                "obstacles": [self.obstacles[o["id"]] for o in ch["obstacles"]],
                "follow_ups": ch.get("follow_ups", []),
            }
            for ch in self.data["challenges"]
        ]

    @cached_property
    def counts(self) -> dict[str, int]:
        kinds = [c["kind"] for c in self.contributions]
        return {
            "insights": kinds.count(Contribution.Kind.INSIGHT),
            "suggestions": kinds.count(Contribution.Kind.SUGGESTION),
        }

    @cached_property
    def prompts(self) -> list[Data]:
        return [
            {**q, "contributions": [c for c in self.contributions if c["prompt"] == q["id"]]}
            for q in self.data["prompts"]
        ]

    @cached_property
    def highlights(self) -> list[Data]:
        return [c for c in self.contributions if c["spotlight"] or c["pinned"]]

    @cached_property
    def groups(self) -> list[Data]:
        """By theme when the labbers grouped the wall into themes, else by obstacle."""
        if self.themes:
            keys = [(t["id"], t["name"], True) for t in self.data["themes"]]
            rest, field = _("Not in a theme"), "theme"
        else:
            keys = [
                (oid, _("Obstacle %(number)s: %(text)s") % o, True)
                for oid, o in self.obstacles.items()
            ]
            rest, field = _("The challenge as a whole"), "obstacle"
        groups = []
        for key, title, typed in [*keys, (None, rest, False)]:
            items = [c for c in self.contributions if c[field] == key]
            if not items:
                continue
            suggestions = [c for c in items if c["kind"] == Contribution.Kind.SUGGESTION]
            # Most dots first; the order they were posted breaks ties (sorted is stable).
            suggestions.sort(key=lambda c: -(c["votes"] or 0))
            groups.append(
                {
                    "title": title,
                    # Theme names and obstacles are in the workshop's language, not the page's.
                    "typed": typed,
                    "insights": [c for c in items if c["kind"] == Contribution.Kind.INSIGHT],
                    "suggestions": suggestions,
                }
            )
        return groups

    @cached_property
    def claims(self) -> list[Data]:
        return [{**claim, "suggestion": c} for c in self.contributions for claim in c["claims"]]

    @cached_property
    def votes_shown(self) -> bool:
        """Tallies, unless a secret ballot is running or nobody has voted (a column of
        zeros says nothing)."""
        votes = [c["votes"] for c in self.contributions]
        return None not in votes and any(votes)

    @cached_property
    def votes_most(self) -> int:
        """The most dots on one suggestion: the full length of the report's vote bars."""
        return max((c["votes"] or 0 for c in self.contributions), default=0) or 1

    @cached_property
    def counts_sentence(self) -> str:
        insights, suggestions = self.counts["insights"], self.counts["suggestions"]
        return _("The room contributed %(insights)s and %(suggestions)s.") % {
            "insights": ngettext("%(count)s insight", "%(count)s insights", insights)
            % {"count": insights},
            "suggestions": ngettext("%(count)s suggestion", "%(count)s suggestions", suggestions)
            % {"count": suggestions},
        }

    @cached_property
    def thanks(self) -> list[str]:
        """The closing thanks, as the seed report ends: challengers and receivers by first
        name, then the labbers, then the room."""
        sentences = []
        if self.thanks_names:
            sentences.append(_("Thank you %(names)s!") % {"names": self.thanks_names})
        if self.thanks_labbers:
            sentences.append(
                _(
                    "Many thanks to %(labbers)s for the good collaboration "
                    "and the excellent labbing!"
                )
                % {"labbers": self.thanks_labbers}
            )
        sentences.append(
            _(
                "Last but not least, thank you to the audience "
                "who took an active part and contributed!"
            )
        )
        return sentences

    @cached_property
    def thanks_names(self) -> str:
        """First names, as the seed report thanks its challengers and receivers."""
        people = self.role(Participant.Role.CHALLENGER) + self.receivers
        names = [p["name"].split()[0] for p in people if p["name"]]
        return str(get_text_list(names, _("and"))) if names else ""

    @cached_property
    def thanks_labbers(self) -> str:
        labbers = self.role(Participant.Role.LABBER)
        names = list(dict.fromkeys(p["organisation"] or p["name"] or "" for p in labbers))
        return str(get_text_list([n for n in names if n], _("and")))

    @cached_property
    def status_note(self) -> str:
        """The report is there from the start; say so while it is still growing."""
        status = self.workshop["status"]
        if status == Workshop.Status.LIVE:
            return _("The workshop is under way: this report grows as the room posts.")
        if status == Workshop.Status.DRAFT:
            return _("The workshop has not started yet.")
        return ""

    @cached_property
    def footer(self) -> str:
        text = _("Report made with Labbet on %(date)s, join code %(code)s.") % {
            "date": date_format(timezone.localdate(), "DATE_FORMAT"),
            "code": self.workshop["code"],
        }
        return f"{text} {self.url}".strip()
